// A remote that accepts the connection and never answers (a hung server, a proxy that swallows the request) does not
// hold a seat for ever (agent/git-remote). Before, the mirror's clone or fetch waited with no end — holding the
// mirror's lock, so every other job of the repository on the host waited too — and a checkpoint push to such an
// origin never returned, so the run never tried the host's checkpoint remote, nor ended. Now each of those git
// commands is stopped, with the transport helper it started, once it has been silent for the stall bound (shortened
// here): the preparation fails saying why, and the checkpoint lands on the next push target. Real git against a
// loopback TCP server that never writes a byte.
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, retireBranch, snapshot } from "../../src/agent/checkpoint.ts";
import { REMOTE_STALL_MS, setRemoteStallMs } from "../../src/agent/git-remote.ts";
import { checkpointBranch, prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-stall-", "job_st");

/** Resolves once `check` holds: polls (a state to wait for, not a timed assertion). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 20));
}

// Accepts every connection and never writes: the sockets it holds, to see git's side hang up.
const open = new Set<net.Socket>();
let connections = 0;
const silent = net.createServer((socket) => {
  connections += 1;
  open.add(socket);
  socket.on("close", () => open.delete(socket));
  socket.on("error", () => undefined);
  socket.resume(); // reads what git sends (and so sees it hang up), never answers
});
let url = "";
/** Long enough for a local fetch or push on a loaded host, short for a test. */
const STALL_MS = 3000;

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/app.git`;
  setRemoteStallMs(STALL_MS);
});
afterAll(() => {
  for (const s of open) s.destroy();
  silent.close();
  setRemoteStallMs(REMOTE_STALL_MS); // a later file in a shared worker gets git's real bound, not this test's
});

describe("a remote that never answers", () => {
  it("fails the mirror's clone, saying so, and leaves no git talking to it", async () => {
    const before = connections;
    // The clone is the preparation's one command to a remote, and it hangs: 1 s of silence is the stall here
    // (STALL_MS is for the case below, where pushes that answer, silent until they are done, share the bound).
    setRemoteStallMs(1000);
    try {
      await expect(prepareWorkspace(job({ repo: url }), host)).rejects.toThrow(/without a word/);
    } finally {
      setRemoteStallMs(STALL_MS);
    }
    expect(connections).toBeGreaterThan(before);
    await until(() => open.size === 0); // git's transport helper went with it
  });

  it("fails a checkpoint push to it over to the host's checkpoint remote, and a retire gives up on it", async () => {
    const origin = originRepo(path.join(root, "origin"));
    const j = job({ repo: origin, leaseEpoch: 2 });
    const ws = await prepareWorkspace(j, { ...host, allowLocalRepos: true });
    sh(ws.mirror as string, "config", "remote.origin.url", url); // the repository's server hangs from now on
    writeFileSync(path.join(ws.dir, "work.txt"), "w\n");
    const snap = await snapshot(ws, undefined, checkpointMessage(j.id, 1), false);

    const pushed = await pushCheckpoint(ws, snap.sha);
    expect(pushed.target).toBe(host.checkpointRemote);
    expect(sh(host.checkpointRemote, "rev-parse", `refs/heads/${checkpointBranch(j.id, 2)}`)).toBe(snap.sha);
    expect(await retireBranch(ws, `gf/wip/${j.id}-e1`)).toEqual([host.checkpointRemote]);
    await until(() => open.size === 0);
  });
});
