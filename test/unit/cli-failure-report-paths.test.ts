// A failure a command reports itself — `batch submit --wait`'s read back of `GET …/batches/{id}` failing, and a
// request failing after Ctrl-C (the batch's POST, its read back) — is told as cli/run tells every other failure: a
// 429 or 503's wait first in its fix and as `retryAfterSeconds` in the --json document, and the token the CLI sent
// hidden wherever a server echoed it. They formatted the failure themselves: "send nothing again" with no wait, and
// the token's shapes hidden before its value, so an echo in a JSON header dump (`Bearer` hidden up to the quote)
// printed the token's rest. So too a command that tells its own refusals: `submit`'s of each file, `settings set`'s
// patch (told before cli/run saw it, its wait lost). A stand-in coordinator on a real local socket refuses 503,
// echoing the Authorization.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withDefaults } from "../../src/core/settings.ts";
import { captureCli, connection, type StubReply, type StubRequest, stubCoordinator } from "../support/cli-harness.ts";
import { startInterruptible } from "../support/cli-interrupt.ts";
import { testTempDir } from "../support/temp-dir.ts";

/** An admin token of no known shape (cli-own-token's): a quote inside it ends the shape `Bearer …` hides. */
const TOKEN = 'Zq7Ux`admin/"key"+&=%éKw4Rt:tail-9Xv2Lp';
const PIECES = ["Zq7Ux", "admin/", "Kw4Rt", "9Xv2Lp"];
const leaked = (text: string): string[] => PIECES.filter((p) => text.includes(p));

const ACCEPTED = { batchId: "b-1", accepted: 1, jobs: 1, idempotencyKeys: ["k0"], items: [], rejected: [] };

/** The coordinator's 503 (overloaded: come back in 7 s), its detail echoing the request's headers as JSON. */
function overloaded(req: StubRequest, reply: StubReply): void {
  const doc = {
    type: "https://gigafactory.dev/problems/unavailable",
    title: "Service Unavailable",
    status: 503,
    code: "unavailable",
    detail: `overloaded; you sent ${JSON.stringify(req.headers)}`,
    retryAfterSeconds: 7,
  };
  reply.text(503, JSON.stringify(doc), "application/problem+json", { "retry-after": "7" });
}

function manifest(): string {
  const file = path.join(testTempDir("gf-failure-paths-"), "a.md");
  writeFileSync(file, "# a\n");
  return file;
}

const WAIT = /try again in 7 s \(the answer's Retry-After\)/;

describe("batch submit --wait whose read back fails", () => {
  it("says when to come back and hides the token, as text and under --json", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.method === "POST" ? reply.json(202, ACCEPTED) : overloaded(req, reply),
    );
    const argv = ["batch", "submit", manifest(), "--wait", ...connection(stub.url, "p", TOKEN)];
    const human = await captureCli(argv);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/✘ ERROR unavailable: batch b-1 was made \(1 item accepted\), but reading it back/);
    expect(human.stderr).toMatch(WAIT);
    expect(leaked(human.stdout + human.stderr)).toEqual([]);
    const json = await captureCli([...argv, "--json"]);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ batchId: "b-1", error: { code: "unavailable", retryAfterSeconds: 7 } });
    expect(doc.error.fix).toMatch(WAIT);
    expect(leaked(json.stdout + json.stderr)).toEqual([]);
  });
});

describe("a request that fails after Ctrl-C", () => {
  /** Runs `argv` against a coordinator that holds `held` requests until Ctrl-C, then refuses them overloaded. */
  async function interrupted(held: "POST" | "GET", json: boolean) {
    const waiting: Array<() => void> = [];
    const stub = await stubCoordinator((req, reply) => {
      if (req.method === held) waiting.push(() => overloaded(req, reply));
      else reply.json(202, ACCEPTED);
    });
    const argv = ["batch", "submit", manifest(), "--wait", ...connection(stub.url, "p", TOKEN)];
    const run = startInterruptible(json ? [...argv, "--json"] : argv);
    await run.until(`the ${held} held`, () => waiting.length === 1);
    run.ctrlC();
    waiting[0]?.();
    return { code: await run.code, stdout: run.stdout(), stderr: run.stderr() };
  }

  for (const held of ["POST", "GET"] as const) {
    it(`(${held === "POST" ? "the batch's POST" : "its read back"}) says when to come back and hides the token`, async () => {
      const human = await interrupted(held, false);
      expect(human.code).toBe(130);
      expect(human.stderr).toMatch(/^✘ ERROR unavailable: overloaded; .* \/ try again in 7 s/m);
      expect(human.stderr).toMatch(/^✘ ERROR interrupted: /m);
      expect(leaked(human.stdout + human.stderr)).toEqual([]);
      const json = await interrupted(held, true);
      const doc = JSON.parse(json.stdout);
      expect(doc).toMatchObject({
        error: { code: "interrupted" },
        failure: { code: "unavailable", retryAfterSeconds: 7 },
      });
      expect(doc.failure.fix).toMatch(WAIT);
      expect(leaked(json.stdout + json.stderr)).toEqual([]);
    });
  }
});

describe("a command that tells its own refusals", () => {
  it("submit (each file's refusal) says when to come back and hides the token", async () => {
    const stub = await stubCoordinator(overloaded);
    const run = await captureCli(["submit", manifest(), ...connection(stub.url, "p", TOKEN)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR unavailable: .*a\.md: overloaded; .* \/ try again in 7 s/m);
    expect(leaked(run.stdout + run.stderr)).toEqual([]);
  });

  it("settings set (its patch refused) says when to come back", async () => {
    const stub = await stubCoordinator((req, reply) =>
      req.method === "GET" ? reply.json(200, withDefaults(undefined)) : overloaded(req, reply),
    );
    const run = await captureCli(["settings", "set", "preemption=true", "--json", ...connection(stub.url, "p", TOKEN)]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: "unavailable", retryAfterSeconds: 7 });
    expect(leaked(run.stdout + run.stderr)).toEqual([]);
  });
});
