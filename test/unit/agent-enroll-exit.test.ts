// `gigafactory-agent enroll` exit codes, from a real process against a stand-in coordinator: a refused or failed
// enrollment is a runtime error (1), with its `✘ ERROR` line; 2 stays for a command line that cannot run.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-enroll-"));
// Every request is refused as a used enrollment code is: 401 problem+json.
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(401, { "content-type": "application/problem+json" });
    res.end(
      JSON.stringify({
        type: "about:blank",
        title: "Unauthorized",
        status: 401,
        code: "unauthorized",
        detail: "code already used",
      }),
    );
  });
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("gigafactory-agent enroll exit codes", { timeout: 30_000 }, () => {
  it("exits 1 (not 2, which is for usage) when the coordinator refuses the code", async () => {
    const r = await runAgent([
      "enroll",
      "--url",
      url,
      "--product",
      "p",
      "--code",
      `gfe_p_${"U".repeat(43)}`,
      "--state-dir",
      dir,
    ]);
    expect(r.stderr).toContain("✘ ERROR enroll_refused");
    expect(r.code).toBe(1);
  });

  it("still exits 2 for a command line it cannot run", async () => {
    const r = await runAgent(["enroll", "--product", "p", "--code", "gfe_x", "--state-dir", dir]);
    expect(r.stderr).toContain("✘ ERROR missing_url");
    expect(r.code).toBe(2);
  });
});
