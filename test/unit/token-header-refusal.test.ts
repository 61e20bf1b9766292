// A token no HTTP header can carry is refused before any request, as the caller's input (exit 2, `token_malformed`),
// naming where it came from and the character, never the token (shared/header-token). A paste that brought an
// ellipsis or a line break along made the CLI's `fetch` throw, reported as `✘ ERROR unreachable … check that the
// coordinator is up` (it was up), and the agent's WebSocket throw, reported as `✘ ERROR internal … a bug in
// gigafactory-agent` with its stack. The control: a token with only a trailing line break (which `fetch` strips)
// still reaches the coordinator from the CLI. Against a stand-in coordinator and the real agent process, on loopback.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headerUnsafeChar, trimHeaderBlanks } from "../../src/shared/header-token.ts";
import { captureCli, stubCoordinator } from "../support/cli-harness.ts";
import { runAgent } from "./agent-process.ts";

const SECRET = "Q".repeat(40);
/** A token cut short by a document's ellipsis (U+2026, above U+00FF: no header can carry it). */
const ELLIPSIS_TOKEN = `gf_acme_${SECRET}…`;
const dir = mkdtempSync(path.join(tmpdir(), "gf-token-header-"));

/** A coordinator that refuses every request and upgrade, counting them: a refusal before any request leaves it at 0. */
const seen: string[] = [];
const coordinator = createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  res.writeHead(401, { "content-type": "application/problem+json" });
  res.end(JSON.stringify({ type: "x", title: "t", status: 401, detail: "not recognised", code: "unauthorized" }));
});
coordinator.on("upgrade", (req, socket) => {
  seen.push(`UPGRADE ${req.url}`);
  socket.destroy();
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((r) => coordinator.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(coordinator.address() as AddressInfo).port}`;
});
afterAll(() => {
  coordinator.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the CLI", () => {
  it("refuses a token with an ellipsis before any request: token_malformed, exit 2, naming --token", async () => {
    const before = seen.length;
    const r = await captureCli(["jobs", "--url", url, "--token", ELLIPSIS_TOKEN, "--product", "acme"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("✘ ERROR token_malformed: the token in --token holds a character no HTTP header");
    expect(r.stderr).toContain("U+2026 at character 49");
    expect(r.stderr).not.toContain(SECRET);
    expect(seen.length).toBe(before);
  });

  it("names GIGAFACTORY_TOKEN for a line break inside the token, and login saves nothing", async () => {
    const before = seen.length;
    const env = { GIGAFACTORY_TOKEN: `gf_acme_${SECRET}\nabc` };
    const r = await captureCli(["login", "--url", url, "--product", "acme"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("token_malformed: the token in GIGAFACTORY_TOKEN");
    expect(r.stderr).toContain("U+000A");
    const jobs = await captureCli(["jobs", "--url", url, "--product", "acme", "--json"], { env });
    expect(jobs.code).toBe(2);
    expect(JSON.parse(jobs.stdout)).toMatchObject({ error: { code: "token_malformed", exitCode: 2 } });
    expect(seen.length).toBe(before);
  });

  it("is the one code a script matches for a broken token: the same as a token not of a product token's shape", async () => {
    const before = seen.length;
    const unsendable = await captureCli(["jobs", "--url", url, "--token", ELLIPSIS_TOKEN, "--json"]);
    const cutOff = await captureCli(["jobs", "--url", url, "--token", "gf_acme_abc", "--json"]);
    expect(JSON.parse(unsendable.stdout).error.code).toBe("token_malformed");
    expect(JSON.parse(cutOff.stdout).error.code).toBe("token_malformed");
    expect([unsendable.code, cutOff.code]).toEqual([2, 2]);
    expect(seen.length).toBe(before);
  });

  it("still sends a token whose only blanks are at its ends, as fetch strips them (the control)", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(200, { version: 7 }));
    const r = await captureCli(["queue-state", "--url", stub.url, "--product", "acme"], {
      env: { GIGAFACTORY_TOKEN: `gf_acme_${SECRET}\r\n` },
    });
    expect(r.stderr).toBe("");
    expect(stub.lines).toEqual(["GET /api/v1/products/acme/queue-state"]);
  });
});

describe("the agent", () => {
  it("refuses run's token with an ellipsis: token_malformed, exit 2, no stack, no request", async () => {
    const before = seen.length;
    const stateDir = path.join(dir, "run");
    const args = ["run", "--url", url, "--token", ELLIPSIS_TOKEN, "--product", "acme", "--state-dir", stateDir];
    args.push("--engine-user", userInfo().username); // as root, the engines' user: this test is about the token
    const r = await runAgent(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("✘ ERROR token_malformed: the token in --token holds a character no HTTP header");
    expect(r.out).not.toContain("internal");
    expect(r.out).not.toContain(SECRET);
    expect(seen.length).toBe(before);
  });
});

describe("headerUnsafeChar / trimHeaderBlanks", () => {
  it("finds the first character a header refuses, an astral one whole", () => {
    expect(headerUnsafeChar(`gf_a_${SECRET}`)).toBeUndefined();
    expect(headerUnsafeChar("tab\tand latin-1 é")).toBeUndefined();
    expect(headerUnsafeChar("ab😀\u0001")).toBe("U+1F600 at character 3");
    expect(headerUnsafeChar("éx\u0001")).toBe("U+0001 at character 3");
    expect(headerUnsafeChar("ab\u2028")).toBe("U+2028 at character 3");
    expect(trimHeaderBlanks(" \t\r\nx y\n")).toBe("x y");
    expect(trimHeaderBlanks("x\u2028")).toBe("x\u2028");
    expect(trimHeaderBlanks(" \n ")).toBe("");
  });
});
