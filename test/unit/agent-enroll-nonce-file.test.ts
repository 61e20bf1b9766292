// Whatever is at the state dir's enroll-nonce.json, `enroll` goes on with a new nonce and enrolls: a FIFO there (it
// hung `enroll` for good, blocked in readFileSync waiting for a writer), a file larger than any nonce file (read
// whole before: 700 MB of it took 1.1 GB of memory). The real agent process against a stand-in coordinator on
// loopback, killed after each test if it is still running.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { NONCE_FILE } from "../../src/agent/enroll-nonce.ts";
import { enrollStandIn } from "./agent-enroll-fixture.ts";
import { startAgent } from "./agent-process.ts";

const code = `gfe_acme_${"N".repeat(43)}`;
const stand = enrollStandIn("gf-agent-enroll-nonce-file-", (req) => {
  const { name } = JSON.parse(req.body) as { name: string };
  return { status: 201, body: { factoryId: `fac_${name}`, token: `gf_acme_${"t".repeat(43)}`, factory: {} } };
});
const running: Array<ReturnType<typeof startAgent>> = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop("SIGKILL");
});

/** `enroll` into `stateDir`, whose nonce file `plant` made: its exit code and the nonce it sent. */
async function enrollOver(stateDir: string, plant: (file: string) => void) {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  plant(path.join(stateDir, NONCE_FILE));
  const before = stand.requests.length;
  const agent = startAgent(["enroll", "--url", stand.url, "--code", code, "--name", "h1", "--state-dir", stateDir]);
  running.push(agent);
  const exit = await agent.exited;
  const sent = stand.requests.slice(before).map((r) => (JSON.parse(r.body) as { nonce?: string }).nonce);
  return { exit, sent, out: agent.out() };
}

describe("enroll over whatever is at enroll-nonce.json", () => {
  it("a FIFO: not waited on — a new nonce is sent and the host enrolls", async () => {
    const stateDir = path.join(stand.dir, "fifo");
    const r = await enrollOver(stateDir, (file) => execFileSync("mkfifo", [file]));
    expect(r.exit, r.out).toBe(0);
    expect(r.sent).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(existsSync(path.join(stateDir, "config.json"))).toBe(true);
  });

  it("a file past any nonce file's size (a sparse 64 MiB): not read whole — a new nonce, and the host enrolls", async () => {
    const stateDir = path.join(stand.dir, "huge");
    const r = await enrollOver(stateDir, (file) => {
      writeFileSync(file, "");
      truncateSync(file, 64 * 1024 * 1024);
    });
    expect(r.exit, r.out).toBe(0);
    expect(r.sent).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(readFileSync(path.join(stateDir, "config.json"), "utf8")).toContain("fac_h1");
  });
});
