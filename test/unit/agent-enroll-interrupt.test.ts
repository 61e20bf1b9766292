// Ctrl-C (SIGINT, or SIGTERM, or a closed terminal's SIGHUP) while `enroll`'s request is out says what it left and
// what to run — `✘ ERROR interrupted: … / run this same command again: it resumes that enrollment …`, exit 130, the
// state dir's lock released — instead of dying without a word while the code may have been spent (agent/interrupt).
// Run again, the same command sends the same nonce, so the coordinator resumes what the first one started. The real
// agent process against a stand-in coordinator on loopback that never answers the first request.
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";
import { startAgent } from "./agent-process.ts";

const code = `gfe_acme_${"N".repeat(43)}`;
const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-enroll-interrupt-"));
chmodSync(dir, 0o755); // reachable by a root agent's engine user, or enroll refuses the work dir beside its state dir
const nonces: string[] = [];
const held: ServerResponse[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8").on("data", (d: string) => {
    body += d;
  });
  req.on("end", () => {
    nonces.push((JSON.parse(body) as { nonce: string }).nonce);
    if (nonces.length === 1) return void held.push(res); // never answered: the operator gives up
    res.writeHead(201, { "content-type": "application/json" });
    res.end(JSON.stringify({ factoryId: "fac_h1", token: `gf_acme_${"t".repeat(43)}`, factory: {} }));
  });
});
let url = "";
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
const running: Array<ReturnType<typeof startAgent>> = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop("SIGKILL");
});
afterAll(async () => {
  for (const res of held) res.destroy();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("enroll interrupted while its request is out", () => {
  it("says so and how to resume, exits 130 with its lock released; run again, it resumes with the same nonce", async () => {
    const stateDir = path.join(dir, "state");
    const args = ["enroll", "--url", url, "--code", code, "--name", "h1", "--state-dir", stateDir];
    const first = startAgent(args);
    running.push(first);
    await until("the enroll request at the stand-in", () => nonces.length === 1);
    const code130 = await first.stop("SIGINT");
    expect(code130, first.out()).toBe(130);
    expect(first.out()).toContain(
      "✘ ERROR interrupted: SIGINT: enroll stopped before the coordinator answered; if it took the code, this host's factory exists already / run this same command again: it resumes that enrollment (until the code expires or an hour after it was taken, whichever is sooner), or enrolls with the code if it was not taken",
    );
    expect(existsSync(path.join(stateDir, "agent.pid"))).toBe(false);

    const again = startAgent(args);
    running.push(again);
    expect(await again.exited, again.out()).toBe(0);
    expect(nonces).toHaveLength(2);
    expect(nonces[1]).toBe(nonces[0]);
  });
});
