// A run with no seat here says `stopped` too, once nothing of it runs, so the serial key the coordinator keeps held
// for a lease it took by force (core/serial-holds) opens then, not at the old lease's expiry (up to 1 h): an orphan
// engine reaped after a restart (once it is dead; not one that may still run), a `cancel` for a lease no seat runs
// (refused while draining, or a take waiting on an older run, which then never starts), a `release` refused as
// fenced. A cancel for a running seat still stops it first; nothing is sent to a coordinator without the feature.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { FrameError } from "../../src/agent/connection.ts";
import { reapOrphans } from "../../src/agent/orphans.ts";
import { UnrunLeases } from "../../src/agent/unrun-leases.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import {
  assignment,
  FakeConnection,
  fakeSupervisor,
  straySleeper,
  tempAgent,
  until,
  useArtifactServer,
} from "./agent-fakes.ts";

const rest = useArtifactServer();

/** The pid of a process that has exited (and been reaped). */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return child.pid as number;
}

describe.runIf(process.platform === "linux")("an orphan engine of a lease taken while the agent was down", () => {
  it("is reaped after welcome, and `stopped` is said for its (job, epoch) once it is dead", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    let orphan: number | undefined;
    try {
      const { conn, records, stop } = fakeSupervisor(agent);
      let aliveAtStopped: boolean | undefined;
      conn.answer = (f) => {
        if (f.type === "stopped") aliveAtStopped = isRunning(orphan as number);
        return {};
      };
      orphan = straySleeper(jobDir(agent.cfg.workDir, "job_cut"));
      records.write({ jobId: "job_cut", leaseEpoch: 3, attempt: 1, startedAt: Date.now(), enginePid: orphan });
      conn.welcome([], { features: [FEATURES.stopped] });
      await until("stopped", () => conn.frames("stopped").length > 0);
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_cut", leaseEpoch: 3 }]);
      expect(aliveAtStopped).toBe(false);
      await stop();
    } finally {
      if (orphan !== undefined && isRunning(orphan)) process.kill(orphan, "SIGKILL");
      agent.remove();
    }
  });

  it("says `stopped` at once for a run whose engine is gone or finished, never for one that may still run", async () => {
    const agent = tempAgent(rest.url);
    let elsewhere: number | undefined;
    try {
      const { records } = fakeSupervisor(agent);
      const base = { attempt: 1, startedAt: Date.now() };
      const report = { type: "fail" as const, result: { outcome: "failure" as const } };
      records.write({ jobId: "job_gone", leaseEpoch: 2, ...base, enginePid: await exitedPid() });
      records.write({ jobId: "job_done", leaseEpoch: 5, ...base, report }); // finished, report not acknowledged
      records.write({ jobId: "job_ended", leaseEpoch: 1, ...base, report, ended: Date.now() }); // a normal end
      records.write({ jobId: "job_nopid", leaseEpoch: 4, ...base }); // its engine may have started unrecorded
      // An engine that exited before it had a pid (a spawn error): its exit is on record, nothing runs for it.
      const engineExit = { at: Date.now(), how: "spawn ENOENT", outcome: report, usage: {}, base: "abcdef1" };
      records.write({ jobId: "job_exited", leaseEpoch: 7, ...base, engineExit });
      // A live process group, but not in the job's workspace: not killed (pid reuse?), so not said stopped either.
      elsewhere = straySleeper(`${agent.dir}/elsewhere`);
      records.write({ jobId: "job_moved", leaseEpoch: 6, ...base, enginePid: elsewhere });
      const said: unknown[] = [];
      reapOrphans(
        records,
        agent.cfg.workDir,
        () => false,
        agent.out,
        (lease) => said.push(lease),
      );
      expect(said.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
        { jobId: "job_done", leaseEpoch: 5 },
        { jobId: "job_exited", leaseEpoch: 7 },
        { jobId: "job_gone", leaseEpoch: 2 },
      ]);
      expect(isRunning(elsewhere)).toBe(true);
    } finally {
      if (elsewhere !== undefined && isRunning(elsewhere)) process.kill(elsewhere, "SIGKILL");
      agent.remove();
    }
  });
});

describe("a cancel for a lease", () => {
  it("with no seat here (released while draining) is answered with `stopped`: nothing runs for it", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 60_000 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { features: [FEATURES.stopped] });
      const draining = stop(); // draining: the next assign is released, never run
      await until("drain sent", () => conn.frames("drain").length > 0);
      conn.push({ type: "assign", assignments: [assignment("job_nos", "gf-sample-seconds: 0\n", 4)] });
      await until("released", () => conn.frames("release").length > 0);
      conn.push({ type: "cancel", jobId: "job_nos", leaseEpoch: 4, reason: "cancelled by alice" });
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_nos", leaseEpoch: 4 }]);
      await draining;
    } finally {
      agent.remove();
    }
  });

  it("whose seat runs it still stops the engine first: one `stopped`, after the engine exited", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      let pid: number | undefined;
      let aliveAtStopped: boolean | undefined;
      conn.answer = (f) => {
        if (f.type === "stopped") aliveAtStopped = isRunning(pid as number);
        return {};
      };
      conn.welcome([], { features: [FEATURES.stopped] });
      conn.push({ type: "assign", assignments: [assignment("job_run", "gf-sample-seconds: 30\n", 2)] });
      pid = await until("the engine", () => records.read("job_run")?.enginePid);
      conn.push({ type: "cancel", jobId: "job_run", leaseEpoch: 2, reason: "cancelled by alice" });
      expect(conn.frames("stopped")).toEqual([]); // not while its engine runs
      await until("stopped", () => conn.frames("stopped").length > 0);
      expect(aliveAtStopped).toBe(false);
      await stop();
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_run", leaseEpoch: 2 }]);
    } finally {
      agent.remove();
    }
  });

  it("whose take waits on the job's older run is answered `stopped`, and that lease never starts", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { features: [FEATURES.stopped] });
      conn.push({ type: "assign", assignments: [assignment("job_two", "gf-sample-seconds: 30\n", 1)] });
      await until("the engine", () => records.read("job_two")?.enginePid);
      // Leased again under epoch 2 (the old run is abandoned; the new one waits for it to end), then cancelled.
      conn.push({ type: "assign", assignments: [assignment("job_two", "gf-sample-seconds: 30\n", 2)] });
      conn.push({ type: "cancel", jobId: "job_two", leaseEpoch: 2, reason: "cancelled by alice" });
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_two", leaseEpoch: 2 }]);
      const accept2 = () => conn.sent.some((f) => f.type === "accept" && f.leaseEpoch === 2);
      await until("the deferred take", () => agent.events.some((e) => e.event === "job.not_started") || accept2());
      expect(accept2()).toBe(false);
      expect(conn.frames("stopped")).toEqual([
        { type: "stopped", jobId: "job_two", leaseEpoch: 2 },
        { type: "stopped", jobId: "job_two", leaseEpoch: 1 }, // the old run's own, once its engine exited
      ]);
      await stop();
    } finally {
      agent.remove();
    }
  });
});

describe("a release refused as fenced", () => {
  it("is followed by `stopped`: the lease was taken before the release landed, and nothing runs for it", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 60_000 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.answer = (f) => {
        if (f.type === "release") throw new FrameError("fenced", "lease epoch 7 is no longer current");
        return {};
      };
      conn.welcome([], { features: [FEATURES.stopped] });
      const draining = stop();
      await until("drain sent", () => conn.frames("drain").length > 0);
      conn.push({ type: "assign", assignments: [assignment("job_rel", "gf-sample-seconds: 0\n", 7)] });
      await until("stopped", () => conn.frames("stopped").length > 0);
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_rel", leaseEpoch: 7 }]);
      await draining;
    } finally {
      agent.remove();
    }
  });
});

describe("a coordinator that does not announce `stopped`", () => {
  it("is sent none for a lease with no seat here (it would refuse the frame)", () => {
    const conn = new FakeConnection();
    const agent = tempAgent(rest.url);
    try {
      const unrun = new UnrunLeases(conn.asConnection(), () => new Set(), agent.out);
      unrun.cancelled({ jobId: "job_old", leaseEpoch: 1 });
      unrun.stopped({ jobId: "job_old", leaseEpoch: 2 });
      expect(conn.sent).toEqual([]);
      expect(unrun.skipCancelled({ jobId: "job_old", leaseEpoch: 1 })).toBe(true); // still never started
    } finally {
      agent.remove();
    }
  });
});
