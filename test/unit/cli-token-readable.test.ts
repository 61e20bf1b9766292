// A token the coordinator can never read as one (worker/bearer-token: one run of non-blank characters, at most 512
// bytes) is refused before it is sent, `✘ ERROR token_malformed` (exit 2, and as --json's error document), naming
// where it came from and never the token: `Bearer gfadmin_…` pasted whole, two words, or a token past 512 bytes went
// to the coordinator and came back "✘ ERROR unauthorized: send Authorization: Bearer … / check the token" — to
// someone who had sent just that. `login` refuses it the same way. A token with blanks only at its ends (what fetch
// strips) and an admin token of any other shape still go; a product token's faults keep cli/token-shape's words.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TOKEN_MAX_BYTES, unreadableToken } from "../../src/cli/token-readable.ts";
import { BEARER_TOKEN_MAX_BYTES } from "../../src/worker/bearer-token.ts";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const ADMIN = "gfadmin_our-own-secret";

/** A coordinator that takes ADMIN alone, as worker/auth does. */
function coordinator() {
  return stubCoordinator((req, reply) => {
    if (req.headers.authorization !== `Bearer ${ADMIN}`) {
      return reply.problem(401, {
        type: "t",
        title: "Authentication required",
        status: 401,
        detail: "send Authorization: Bearer <token>",
        code: "unauthorized",
      });
    }
    if (req.url.endsWith("/products")) return reply.json(200, { products: [{ id: "demo", createdAt: 1 }] });
    return reply.json(200, { version: 3 });
  });
}

describe("a token the coordinator cannot read", () => {
  it("with `Bearer ` pasted before it is token_malformed, exit 2, and nothing is sent", async () => {
    const stub = await coordinator();
    const run = await captureCli(["queue-state", "--url", stub.url, "--product", "demo"], {
      env: { GIGAFACTORY_TOKEN: `Bearer ${ADMIN}` },
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(
      /^✘ ERROR token_malformed: the token \(GIGAFACTORY_TOKEN\) holds a blank at character 7, which no token has: `Bearer` pasted with it\? \/ give the token alone/,
    );
    expect(run.stderr).not.toContain(ADMIN);
    expect(stub.lines).toEqual([]);
  });

  it("of two words, or past 512 bytes, says so under --json too", async () => {
    const stub = await coordinator();
    for (const [token, said] of [
      [`${ADMIN} ${ADMIN}`, /holds a blank at character 23, which no token has: two words pasted together\?/],
      ["é".repeat(257), /is 514 bytes, past the 512 the coordinator reads of one/],
    ] as const) {
      const run = await captureCli(["queue-state", "--json", "--url", stub.url, "--token", token, "--product", "demo"]);
      expect(run.code, run.stderr).toBe(2);
      const { error } = JSON.parse(run.stdout) as { error: { code: string; message: string; exitCode: number } };
      expect([error.code, error.exitCode]).toEqual(["token_malformed", 2]);
      expect(error.message).toMatch(said);
      expect(error.message).toMatch(/^the token \(--token\) /);
    }
    expect(stub.lines).toEqual([]);
  });

  it("is refused by login the same way, before any request", async () => {
    const stub = await coordinator();
    const file = path.join(testTempDir("gf-token-readable-"), "config.json");
    const run = await captureCli(["login", "--url", stub.url, "--token", `Bearer ${ADMIN}`, "--product", "demo"], {
      env: { GIGAFACTORY_CONFIG: file },
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^✘ ERROR token_malformed: the token \(--token\) holds a blank at character 7/);
    expect(stub.lines).toEqual([]);
  });
});

describe("a token the coordinator can read", () => {
  it("goes: blanks at its ends only, 512 bytes, an admin token of any shape", async () => {
    const stub = await coordinator();
    const run = await captureCli(["queue-state", "--url", stub.url, "--product", "demo"], {
      env: { GIGAFACTORY_TOKEN: ` ${ADMIN}\n` },
    });
    expect([run.code, run.stderr]).toEqual([0, ""]);
    expect(unreadableToken("t".repeat(TOKEN_MAX_BYTES), "--token")).toBeUndefined();
    expect(unreadableToken("é".repeat(TOKEN_MAX_BYTES / 2), "--token")).toBeUndefined();
  });

  it("names a line break inside (a wrapped paste) and a NUL, which fetch refused with a TypeError of its own", () => {
    const wrapped = unreadableToken(`${ADMIN.slice(0, 10)}\n${ADMIN.slice(10)}`, "GIGAFACTORY_TOKEN");
    expect([wrapped?.code, wrapped?.exitCode]).toEqual(["token_malformed", 2]);
    expect(wrapped?.message).toBe(
      "the token (GIGAFACTORY_TOKEN) holds a line break at character 11, which no token has: two words pasted together?",
    );
    expect(unreadableToken(`${ADMIN}\0`, "--token")?.message).toMatch(/holds a NUL character at character/);
  });

  it("leaves a product token's faults to cli/token-shape", () => {
    expect(unreadableToken(`gf_demo_${"V".repeat(20)} ${"V".repeat(23)}`, "--token")).toBeUndefined();
  });

  it("is bounded as the Worker bounds it", () => {
    expect(TOKEN_MAX_BYTES).toBe(BEARER_TOKEN_MAX_BYTES);
  });
});
