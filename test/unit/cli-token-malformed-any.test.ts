// Every command that sends a token tells a malformed one (cut off, something pasted after or before it — a quote,
// `Bearer ` —, a one-time enrollment code, a blank inside) as `✘ ERROR token_malformed` (exit 2) with login's very fix line, naming where the token came
// from — not the coordinator's generic 401 "check the token", which is what every command but `login` said once a
// product was named (--product, GIGAFACTORY_PRODUCT, the saved config). Such a token is still sent, and told after the
// coordinator's 401, as login does: the admin token is the deployment's own secret, of any shape, and one in a
// product token's shape works. A whole token the coordinator refuses (revoked) is still `unauthorized`.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const WHOLE = `gf_demo_${"V".repeat(43)}`;
const REVOKED = `gf_demo_${"R".repeat(43)}`;
/** An admin token the deployment chose in the shape of a cut-off product token: the coordinator takes it. */
const ODD_ADMIN = "gf_ops_our-admin-secret";

/** A coordinator that knows WHOLE and ODD_ADMIN (401 for anything else), as worker/auth answers. */
async function coordinator() {
  return stubCoordinator((req, reply) => {
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${WHOLE}` && auth !== `Bearer ${ODD_ADMIN}`) {
      return reply.problem(401, {
        type: "t",
        title: "Unauthorized",
        status: 401,
        detail: "bad token",
        code: "unauthorized",
      });
    }
    if (req.url.endsWith("/products")) return reply.json(200, { products: [{ id: "demo", createdAt: 1 }] });
    return reply.json(200, { version: 3 });
  });
}

/** The fix line login gives a malformed token, which every other command must give word for word. */
async function loginFix(url: string, token: string): Promise<string> {
  const file = path.join(testTempDir("gf-token-malformed-login-"), "config.json");
  const run = await captureCli(["login", "--url", url, "--token", token, "--product", "demo"], {
    env: { GIGAFACTORY_CONFIG: file },
  });
  expect(run.stderr).toMatch(/^✘ ERROR token_malformed: /);
  return run.stderr.split(" / ").slice(1).join(" / ");
}

describe("a malformed token on a command other than login", () => {
  it("is token_malformed, exit 2, with login's fix, wherever the token and the product came from", async () => {
    const stub = await coordinator();
    const saved = path.join(testTempDir("gf-token-malformed-"), "config.json");
    writeFileSync(saved, JSON.stringify({ url: stub.url, token: "gf_demo_abc", product: "demo" }), { mode: 0o600 });
    const fix = await loginFix(stub.url, "gf_demo_abc");
    const cases = [
      [["jobs"], { GIGAFACTORY_CONFIG: saved }, "the saved config", /looks cut off/],
      [["queue-state", "--url", stub.url, "--token", "gf_demo_abc", "--product", "demo"], {}, "--token", /cut off/],
      [
        ["queue-state", "--url", stub.url, "--product", "demo"],
        { GIGAFACTORY_TOKEN: `${WHOLE}xyz` },
        "GIGAFACTORY_TOKEN",
        /pasted with it/,
      ],
      [
        ["queue-state", "--url", stub.url],
        { GIGAFACTORY_TOKEN: `gfe_demo_${"E".repeat(43)}`, GIGAFACTORY_PRODUCT: "demo" },
        "GIGAFACTORY_TOKEN",
        /one-time enrollment code/,
      ],
      // Pasted with a quote (from a JSON line) or `Bearer ` before it: the product token is inside.
      [
        ["queue-state", "--url", stub.url, "--product", "demo"],
        { GIGAFACTORY_TOKEN: `"${WHOLE}"` },
        "GIGAFACTORY_TOKEN",
        /gf_demo_… starts 1 character in: something was pasted before it/,
      ],
      [
        ["queue-state", "--url", stub.url, "--product", "demo", "--token", `Bearer ${WHOLE}`],
        {},
        "--token",
        /starts 7 characters in/,
      ],
      // Above products: no product is needed, so none stopped the token before it was sent.
      [["products", "--url", stub.url, "--token", "gf_demo_abc"], {}, "--token", /cut off/],
    ] as const;
    for (const [argv, env, source, why] of cases) {
      const run = await captureCli(argv, { env });
      expect(run.code, `${argv.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr).toMatch(
        new RegExp(`^✘ ERROR token_malformed: the token \\(${source}\\) is not a product token`),
      );
      expect(run.stderr).toMatch(why);
      expect(run.stderr.split(" / ").slice(1).join(" / ")).toBe(fix);
      expect(run.stderr).not.toContain("abc"); // never the secret, not even its cut-off part
    }
  });

  it("says so under --json too, as the error document's code", async () => {
    const stub = await coordinator();
    const run = await captureCli(["jobs", "--json", "--url", stub.url, "--token", "gf_demo_abc", "--product", "demo"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "token_malformed", exitCode: 2 } });
  });

  it("says what is wrong with a product token with a blank inside (two words pasted together)", async () => {
    const stub = await coordinator();
    const token = `gf_demo_${"V".repeat(20)} ${"V".repeat(23)}`;
    const run = await captureCli(["queue-state", "--url", stub.url, "--token", token, "--product", "demo"]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR token_malformed: the token \(--token\) .*holds characters no token has/);
    expect(run.stderr.split(" / ").slice(1).join(" / ")).toBe(await loginFix(stub.url, token));
  });

  it("leaves an admin token of that shape working, and a whole token refused 401 unauthorized", async () => {
    const stub = await coordinator();
    const admin = await captureCli(["queue-state", "--url", stub.url, "--token", ODD_ADMIN, "--product", "demo"]);
    expect(admin.code, admin.stderr).toBe(0);
    const revoked = await captureCli(["queue-state", "--url", stub.url, "--token", REVOKED]);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/^✘ ERROR unauthorized: bad token/);
  });
});
