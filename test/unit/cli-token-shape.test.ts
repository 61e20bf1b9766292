// A token that looks like a product's (`gf_<product>_<43 characters>`) but is not one is refused as what it is —
// `token_malformed`, exit 2, nothing saved: cut off (`gf_demo_abc`, a newcomer's partial paste), too long (something
// pasted with it), with characters no token has, or a one-time enrollment code (`gfe_…`) — where it had been
// "the token does not name a product (an admin token?)". By `login` (with --product too, where the coordinator's 401
// is told apart the same way) and by every other command (cli/config). The secret is never echoed; an admin token
// (any other shape) is still asked for --product, and a whole product token still logs in.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConnection } from "../../src/cli/config.ts";
import { tokenShapeProblem } from "../../src/cli/token-shape.ts";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const WHOLE = `gf_demo_${"V".repeat(43)}`;

/** A coordinator that knows only WHOLE (401 for anything else), as worker/auth answers. */
async function coordinator() {
  return stubCoordinator((req, reply) => {
    if (req.headers.authorization !== `Bearer ${WHOLE}`) {
      return reply.problem(401, {
        type: "t",
        title: "Unauthorized",
        status: 401,
        detail: "bad token",
        code: "unauthorized",
      });
    }
    if (req.url.endsWith("/whoami")) return reply.json(200, { product: "demo", role: "operator", actor: "operator:x" });
    return reply.json(200, { version: 3 });
  });
}

/** `login` with a config file of its own; `file` is where it would save. */
async function login(url: string, token: string, ...extra: string[]) {
  const file = path.join(testTempDir("gf-token-shape-"), "config.json");
  const run = await captureCli(["login", "--url", url, "--token", token, ...extra], {
    env: { GIGAFACTORY_CONFIG: file },
  });
  return { ...run, file };
}

describe("a token's shape", () => {
  it("names what is wrong with a product token, and leaves a whole one and an admin token alone", () => {
    expect(tokenShapeProblem("gf_demo_abc")).toBe(
      "gf_demo_… looks cut off: it has 3 characters after the product, where a product token has 43",
    );
    expect(tokenShapeProblem(`${WHOLE}xyz`)).toMatch(/has 46 characters after the product.*pasted with it/);
    expect(tokenShapeProblem("gf_demo_ab+c")).toMatch(/characters no token has/);
    expect(tokenShapeProblem("gf_Demo")).toMatch(/starts like a product token but is not one/);
    expect(tokenShapeProblem(`gfe_demo_${"E".repeat(43)}`)).toMatch(/one-time enrollment code/);
    expect(tokenShapeProblem(WHOLE)).toBeUndefined();
    expect(tokenShapeProblem("admin-secret-token")).toBeUndefined();
  });
});

describe("gigafactory login with a malformed token", () => {
  it("says the token is cut off (exit 2), not that it may be an admin token, and saves nothing", async () => {
    const stub = await coordinator();
    const run = await login(stub.url, "gf_demo_abc");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^✘ ERROR token_malformed: the token \(--token\) is not a product token: gf_demo_… looks cut off/,
    );
    expect(run.stderr).not.toContain("admin token?");
    expect(stub.lines).toEqual([]);
    expect(existsSync(run.file)).toBe(false);
  });

  it("says so with --product too, where the coordinator refused it 401", async () => {
    const stub = await coordinator();
    const run = await login(stub.url, "gf_demo_abc", "--product", "demo");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR token_malformed: .*gf_demo_… looks cut off/);
    const whole = await login(stub.url, WHOLE);
    expect(whole.code, whole.stderr).toBe(0);
  });

  it("still asks an admin token for --product", async () => {
    // An admin token the coordinator takes (its products read): the refusal of one it does not is cli-login-refused's.
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { products: [] }));
    const run = await login(stub.url, "admin-secret-token");
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR product_required: the admin token names no product \/ pass --product P/);
  });
});

describe("any command with a malformed token", () => {
  it("is refused token_malformed naming where the token came from", () => {
    let caught: unknown;
    try {
      resolveConnection({}, { url: "http://x", token: "gf_demo_abc" }, {});
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: "token_malformed", exitCode: 2 });
    expect(String((caught as Error).message)).toContain("the token (GIGAFACTORY_TOKEN) is not a product token");
  });
});
