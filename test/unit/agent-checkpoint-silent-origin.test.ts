// A job's origin that stops answering mid-run costs its checkpoints the stall bound once, not at every checkpoint
// (agent/checkpoint): after a push to it was stopped silent, the run's later checkpoints go to the host's checkpoint
// remote first, and the retire of the earlier branch leaves it out. Before, each checkpoint waited the whole bound
// (5 min) on origin before the checkpoint remote, the final one and the retire 5 min more each — past a drain's time
// to give the job back. Real git against a loopback TCP server that never writes a byte (the bound shortened).
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, retireBranch, snapshot } from "../../src/agent/checkpoint.ts";
import { REMOTE_STALL_MS, setRemoteStallMs } from "../../src/agent/git-remote.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-silent-origin-", "job_so");
const open = new Set<net.Socket>();
let connections = 0;
const silent = net.createServer((socket) => {
  connections += 1;
  open.add(socket);
  socket.on("close", () => open.delete(socket));
  socket.on("error", () => undefined);
  socket.resume(); // reads what git sends, never answers
});
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  setRemoteStallMs(2000);
});
afterAll(() => {
  setRemoteStallMs(REMOTE_STALL_MS);
  for (const s of open) s.destroy();
  silent.close();
});

it("after one stalled push to origin, later checkpoints and the retire do not wait on it again", async () => {
  const j = job({ repo: originRepo(path.join(root, "origin")), leaseEpoch: 2 });
  const ws = await prepareWorkspace(j, { ...host, allowLocalRepos: true });
  const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/app.git`;
  sh(ws.mirror as string, "config", "remote.origin.url", url); // the repository's server hangs from now on
  const checkpoint = async (text: string) => {
    writeFileSync(path.join(ws.dir, "work.txt"), text);
    return pushCheckpoint(ws, (await snapshot(ws, undefined, checkpointMessage(j.id, 1), false)).sha);
  };
  expect((await checkpoint("one\n")).target).toBe(host.checkpointRemote); // after origin's stall
  const asked = connections;
  expect((await checkpoint("two\n")).target).toBe(host.checkpointRemote);
  expect(await retireBranch(ws, `gf/wip/${j.id}-e1`)).toEqual([host.checkpointRemote]);
  expect(connections).toBe(asked); // origin was not asked again
});
