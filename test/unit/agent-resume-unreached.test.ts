// A resume source that could not be asked is not "no checkpoint there" (agent/workspace-resume), with real git
// processes against a loopback server that never answers and a checkpoint remote whose `config` is a FIFO (every git
// reading it waits for a writer). Before, any failed fetch of the WIP branch counted as "absent": a job whose
// checkpoint only that source held started afresh — its checkpointed work lost for good. Now the preparation fails
// saying which branch and source, with the stop's code (`git_stalled`), and the seat reports a `failure` (not marked
// `retryable: false`: the coordinator queues it again after its backoff); once the source answers again, the job
// resumes from its checkpoint. A branch the source really
// does not have still means a fresh start, and a recorded commit already at hand is resumed from whatever a hung
// source says.
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkpointMessage, pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { REMOTE_STALL_MS, setRemoteStallMs } from "../../src/agent/git-remote.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { prepareWorkspace } from "../../src/agent/workspace.ts";
import { resolveResume } from "../../src/agent/workspace-resume.ts";
import type { Job } from "../../src/core/model.ts";
import { artifactServer, assignment, FakeConnection, seatContext, tempAgent } from "./agent-fakes.ts";
import { originRepo, scratchHost, sh } from "./agent-git-fixture.ts";

const { root, host, job } = scratchHost("gf-agent-resume-unreached-", "job_ru");

// Accepts every connection and never writes a byte: a hung origin.
const open = new Set<net.Socket>();
const silent = net.createServer((socket) => {
  open.add(socket);
  socket.on("close", () => open.delete(socket));
  socket.on("error", () => undefined);
  socket.resume();
});
let url = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/app.git`;
});
afterAll(() => {
  for (const s of open) s.destroy();
  silent.close();
  setRemoteStallMs(REMOTE_STALL_MS); // a later file in a shared worker gets git's real bound, not this test's
});

/**
 * 1 s: the stall bound while a source hangs (`stallingWhile`), where git's one remote command to wait for is the one
 * that hangs — every hung one costs the test this bound. Elsewhere the agent's own bound stands, so no fetch or push
 * that answers is cut short on a loaded host (a push of a local repository says nothing until it is done).
 */
const HUNG_STALL_MS = 1000;

/** `fn` run with the stall bound at HUNG_STALL_MS, then the agent's own (REMOTE_STALL_MS) again. */
async function stallingWhile<T>(fn: () => Promise<T>): Promise<T> {
  setRemoteStallMs(HUNG_STALL_MS);
  try {
    return await fn();
  } finally {
    setRemoteStallMs(REMOTE_STALL_MS);
  }
}

/**
 * `remote`'s `config` made a FIFO (every git reading it waits for a writer) while `fn` runs, then put back; the stall
 * bound is HUNG_STALL_MS meanwhile (`stallingWhile`).
 */
async function hungWhile<T>(remote: string, fn: () => Promise<T>): Promise<T> {
  const config = path.join(remote, "config");
  const text = readFileSync(config, "utf8");
  rmSync(config);
  execFileSync("mkfifo", [config]);
  try {
    return await stallingWhile(fn);
  } finally {
    rmSync(config, { force: true });
    writeFileSync(config, text);
  }
}

/** `j` resumed: its next attempt under a new lease, the coordinator recording `checkpoint`. */
const resumed = (j: Job, checkpoint: { branch: string; sha: string }): Job =>
  ({ ...j, attempt: 2, leaseEpoch: j.leaseEpoch + 1, checkpoint }) as Job;

describe("a resume source that does not answer", () => {
  it("fails the preparation while the checkpoint remote hangs, then resumes once it answers", async () => {
    const j = job();
    const ws = await prepareWorkspace(j, host); // scratch: the host's checkpoint remote is its only source
    writeFileSync(path.join(ws.dir, "work.txt"), "checkpointed\n");
    const snap = await snapshot(ws, undefined, checkpointMessage(j.id, 1), false);
    const pushed = await pushCheckpoint(ws, snap.sha);
    expect(pushed.target).toBe(host.checkpointRemote);
    const next = resumed(j, { branch: pushed.branch, sha: snap.sha });
    await hungWhile(host.checkpointRemote, () =>
      expect(prepareWorkspace(next, host)).rejects.toMatchObject({
        code: "git_stalled",
        message: expect.stringContaining(`cannot fetch the checkpoint branch ${pushed.branch}`),
      }),
    );
    const again = await prepareWorkspace(next, host);
    expect(again.resumedFrom).toBe(snap.sha);
    expect(readFileSync(path.join(again.dir, "work.txt"), "utf8")).toBe("checkpointed\n");
  });

  it("has the seat report a failure the coordinator retries, its engine never started", async () => {
    const rest = await artifactServer();
    const agent = tempAgent(rest.url);
    try {
      const first = { workDir: path.join(agent.dir, "first"), checkpointRemote: agent.cfg.checkpointRemote };
      const j = job();
      const ws = await prepareWorkspace(j, first);
      writeFileSync(path.join(ws.dir, "work.txt"), "checkpointed\n");
      const snap = await snapshot(ws, undefined, checkpointMessage(j.id, 1), false);
      const pushed = await pushCheckpoint(ws, snap.sha);
      const conn = new FakeConnection();
      const ctx = seatContext(conn, agent, rest.url);
      const a = assignment(j.id, "gf-sample-seconds: 0\n", 2, {
        checkpoint: { branch: pushed.branch, sha: snap.sha, at: 0 },
      });
      await hungWhile(agent.cfg.checkpointRemote, () => new SeatRunner(ctx, a, false).finished);
      const report = conn.finalReport(j.id);
      expect(report).toMatchObject({ type: "fail", result: { outcome: "failure" } });
      const result = report?.type === "fail" ? report.result : undefined;
      expect(result?.retryable).not.toBe(false); // a transient failure: queued again after the retry backoff
      expect(result?.message).toMatch(
        /^could not prepare the workspace: cannot fetch the checkpoint branch .*without a word/,
      );
      expect(agent.events.some((e) => e.event === "job.failed")).toBe(true);
      expect(ctx.records.read(j.id)?.enginePid).toBeUndefined(); // the engine never ran on a fresh start
    } finally {
      agent.remove();
      await rest.close();
    }
  });

  it("fails the resume from a hung origin holding the only copy, never starting fresh", async () => {
    const origin = originRepo(path.join(root, "origin-hung"));
    const mirror = path.join(root, "mirror-hung.git");
    sh(root, "clone", "-q", "--bare", origin, mirror); // this host's mirror, from before the checkpoint
    const j = job({ repo: origin });
    const ws = await prepareWorkspace(j, { ...host, workDir: path.join(root, "w-other"), allowLocalRepos: true });
    writeFileSync(path.join(ws.dir, "work.txt"), "on origin only\n");
    const snap = await snapshot(ws, undefined, checkpointMessage(j.id, 1), false);
    const pushed = await pushCheckpoint(ws, snap.sha); // from another host: origin holds it, this mirror does not
    expect(pushed.target).toBe("origin");
    sh(mirror, "config", "remote.origin.url", url); // origin hangs from now on
    const next = resumed(j, { branch: pushed.branch, sha: snap.sha });
    // The checkpoint remote is asked too, and answers it has no such branch: were that fetch cut short, the error
    // would still be origin's, the first source not reached.
    await expect(
      stallingWhile(() => resolveResume(mirror, next, ["origin", host.checkpointRemote], undefined, undefined)),
    ).rejects.toMatchObject({ code: "git_stalled", message: expect.stringContaining("from origin") });
  });

  it("resumes from the recorded commit already at hand, and starts fresh where the branch is not there", async () => {
    const origin = originRepo(path.join(root, "origin-here"));
    const j = job({ repo: origin });
    const ws = await prepareWorkspace(j, { ...host, allowLocalRepos: true });
    writeFileSync(path.join(ws.dir, "work.txt"), "here\n");
    const snap = await snapshot(ws, undefined, checkpointMessage(j.id, 1), false);
    const pushed = await pushCheckpoint(ws, snap.sha);
    const mirror = ws.mirror as string;
    const next = resumed(j, { branch: pushed.branch, sha: snap.sha });
    // The mirror holds the commit (the run made it here): a hung origin changes nothing of where the job starts.
    sh(mirror, "config", "remote.origin.url", url);
    expect((await stallingWhile(() => resolveResume(mirror, next, ["origin"], undefined, undefined))).sha).toBe(
      snap.sha,
    );
    // A branch origin answers it does not have: no checkpoint there, a fresh start (as before).
    sh(mirror, "config", "remote.origin.url", origin);
    const missing = resumed(j, { branch: `gf/wip/${j.id}-e9`, sha: "0".repeat(40) });
    expect((await resolveResume(mirror, missing, ["origin"], undefined, undefined)).sha).toBeUndefined();
  });
});
