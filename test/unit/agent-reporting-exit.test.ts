// A run whose engine has exited and whose outcome is being reported (its final checkpoint or its `complete` frame under
// way) is finished, paid-for work: the agent's endings do not throw it away. A second stop signal during a drain lets
// that report finish (the socket is open) before the agent exits; a third signal, or the bound running out, and a fatal
// close (the socket is gone for good) keep it on this host instead — its job record and workspace — and say so, so the
// agent started again on this state dir reports it from there, its engine not run again — unless the close says the
// lease ended (factory removed, token revoked): the job is requeued and no restart can report it, so the run is given
// up and nothing of it stays on disk. A drain's first line counts
// such a run apart from the running ones ("1 running, 1 reporting"). Real Supervisor, sample engine and git
// workspaces, fake coordinator connection (test/unit/agent-fakes).
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { closeVerdict } from "../../src/agent/close-codes.ts";
import { type ConnectionOptions, FrameError, type OutFrame } from "../../src/agent/connection.ts";
import type { SeatRunner } from "../../src/agent/seat-runner.ts";
import { JobRecords } from "../../src/agent/state.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import { CLOSE } from "../../src/shared/protocol.ts";
import { assignment, FakeConnection, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** The sample engine's directives: one that exits 0 at once, having written its work; one that works for a minute. */
const DONE = "gf-sample-seconds: 0\n";
const LONG = "gf-sample-seconds: 60\n";

/** A Supervisor on a fake connection offering the sample engine: its exit code, connection and socket handlers. */
function supervised(agent: ReturnType<typeof tempAgent>) {
  let opts: ConnectionOptions | undefined;
  let conn: FakeConnection | undefined;
  const sup = new Supervisor({
    cfg: agent.cfg,
    out: agent.out,
    engines: agent.engines,
    hello: { capabilities: [], seats: agent.cfg.seats, engines: ["sample"], agentVersion: "test" },
    connect: (o) => {
      opts = o;
      conn = new FakeConnection(o);
      return conn.asConnection();
    },
  });
  const exited = sup.run();
  const seat = (jobId: string) => (sup as unknown as { seats: Map<string, SeatRunner> }).seats.get(jobId);
  return { sup, exited, seat, conn: conn as FakeConnection, handlers: (opts as ConnectionOptions).handlers };
}

type Hold = "the final checkpoint" | "the complete frame";

const isHeld = (hold: Hold, jobId: string) => (f: OutFrame) =>
  "jobId" in f &&
  f.jobId === jobId &&
  (hold === "the complete frame"
    ? f.type === "complete"
    : f.type === "progress" && "checkpoint" in f && (f.checkpoint?.note ?? "").includes("(final)"));

/** Every answer acknowledged but `hold`'s for `jobId`, which waits for `answer` or `drop` (the socket's end). */
function holdAnswer(conn: FakeConnection, hold: Hold, jobId: string) {
  const box = { answer: (_v: unknown) => {}, drop: () => {} };
  const held = new Promise((resolve, reject) => {
    box.answer = resolve;
    box.drop = () => reject(new FrameError("disconnected", "connection closed"));
  });
  const matches = isHeld(hold, jobId);
  conn.answer = (f) => (matches(f) ? held : {});
  return { ...box, sent: () => conn.sent.some(matches) };
}

const line = (agent: ReturnType<typeof tempAgent>, event: string) => agent.events.find((e) => e.event === event);

/** The agent started again on the same state dir, welcomed with the lease: its report, and whether it ran the engine again. */
async function restartReports(agent: ReturnType<typeof tempAgent>, jobId: string, leaseEpoch: number) {
  const again = supervised(agent);
  const from = agent.events.length;
  again.conn.welcome([assignment(jobId, DONE, leaseEpoch)]);
  const report = await until("the restarted agent's report", () => again.conn.finalReport(jobId));
  // A resent report says no start; an exit on record starts as "— its engine had exited": either way no engine ran.
  const ranAgain = agent.events
    .slice(from)
    .some((e) => e.event === "job.start" && e.jobId === jobId && !String(e.message).endsWith("its engine had exited"));
  void again.sup.drain("SIGTERM");
  await again.exited;
  return { report, ranAgain };
}

describe("a drain's first line", () => {
  it("counts a run whose engine exited and is reporting apart from the running ones", async () => {
    const agent = tempAgent(rest.url, { seats: 2, drainTimeoutMs: 60_000 });
    try {
      const s = supervised(agent);
      const held = holdAnswer(s.conn, "the final checkpoint", "job_fin");
      s.conn.welcome([assignment("job_fin", DONE, 1), assignment("job_run", LONG, 1)]);
      await until("job_fin's final checkpoint", held.sent);
      void s.sup.drain("SIGTERM");
      const draining = await until("the drain's line", () => line(agent, "draining"));
      expect(String(draining.message)).toMatch(/; 2 jobs \(1 running, 1 reporting\), waiting up to 60s$/);
      expect(draining).toMatchObject({ running: 1, reporting: 1 });
      void s.sup.drain("SIGTERM"); // job_run's engine killed; job_fin's report waited for
      held.answer({});
      expect(await s.exited).toBe(143);
    } finally {
      agent.remove();
    }
  });
});

describe("a second signal while a finished run reports", () => {
  it("lets the report be delivered before the agent exits, the running engine killed at once", async () => {
    const agent = tempAgent(rest.url, { seats: 2, drainTimeoutMs: 60_000 });
    try {
      const s = supervised(agent);
      const held = holdAnswer(s.conn, "the final checkpoint", "job_fin");
      s.conn.welcome([assignment("job_fin", DONE, 1), assignment("job_run", LONG, 1)]);
      await until("job_fin's final checkpoint", held.sent);
      void s.sup.drain("SIGTERM");
      await until("draining", () => line(agent, "draining"));
      void s.sup.drain("SIGINT");
      const forced = await until("the forced exit's line", () => line(agent, "exit.forced"));
      expect(String(forced.message)).toMatch(/^second SIGINT: exiting once job_fin's report is delivered \(up to \d+s/);
      await until("job_run interrupted", () => agent.events.some((e) => e.event === "job.interrupted"));
      held.answer({});
      expect(await s.exited).toBe(130);
      expect(s.conn.finalReport("job_fin")).toMatchObject({ type: "complete", leaseEpoch: 1 });
      expect(s.conn.finalReport("job_run")).toBeUndefined();
      const interrupted = agent.events.filter((e) => e.event === "job.interrupted").map((e) => e.jobId);
      expect(interrupted).toEqual(["job_run"]);
      expect(line(agent, "job.done")).toMatchObject({ jobId: "job_fin" });
    } finally {
      agent.remove();
    }
  });

  it("a third signal exits at once, the finished run kept for the restart, which reports it without running it", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 60_000 });
    try {
      const s = supervised(agent);
      const held = holdAnswer(s.conn, "the final checkpoint", "job_fin");
      s.conn.welcome([assignment("job_fin", DONE, 2)]);
      await until("job_fin's final checkpoint", held.sent);
      const seat = s.seat("job_fin");
      void s.sup.drain("SIGTERM");
      await until("draining", () => line(agent, "draining"));
      void s.sup.drain("SIGTERM");
      await until("the forced exit's line", () => line(agent, "exit.forced"));
      void s.sup.drain("SIGTERM");
      expect(await s.exited).toBe(143);
      const third = agent.events.filter((e) => e.event === "exit.forced").map((e) => String(e.message));
      expect(third[1]).toBe("another SIGTERM: exiting now; a report still under way is kept for the restart");
      const kept = line(agent, "job.interrupted");
      expect(kept).toMatchObject({ jobId: "job_fin" });
      expect(String(kept?.message)).toMatch(/its engine had exited .*: kept on this host/);
      expect(String(kept?.message)).not.toMatch(/discarded/);
      held.drop(); // the socket closing with the process: what the old seat does after it must keep the work
      await seat?.finished;
      expect(new JobRecords(agent.cfg.stateDir).read("job_fin")?.engineExit).toBeDefined();
      expect(existsSync(path.join(jobDir(agent.cfg.workDir, "job_fin"), ".git"))).toBe(true);
      const again = await restartReports(agent, "job_fin", 2);
      expect(again.report).toMatchObject({ type: "complete", leaseEpoch: 2, checkpoint: { sha: expect.any(String) } });
      expect(again.ranAgain).toBe(false);
    } finally {
      agent.remove();
    }
  });
});

describe("a fatal close while a finished run reports", () => {
  it.each<Hold>([
    "the final checkpoint",
    "the complete frame",
  ])("with %s under way: kept on this host, said so, and reported by the restarted agent", async (hold) => {
    const agent = tempAgent(rest.url);
    try {
      const s = supervised(agent);
      const held = holdAnswer(s.conn, hold, "job_fin");
      s.conn.welcome([assignment("job_fin", DONE, 3)]);
      await until(hold, held.sent);
      const seat = s.seat("job_fin");
      const verdict = closeVerdict(CLOSE.revoked, "token rotated");
      if (verdict.kind !== "fatal") throw new Error("not fatal");
      s.handlers.onFatal(verdict.error);
      await until("the job's line", () => line(agent, "job.connection_closed"));
      held.drop(); // the connection's end fails what was waiting on it
      expect(await s.exited).toBe(3);
      await seat?.finished;
      const said = String(line(agent, "job.connection_closed")?.message);
      expect(said).toMatch(/^job_fin stopped: the coordinator closed this agent's connection for good \(factory token/);
      expect(said).toMatch(/its engine had exited .*: kept on this host/);
      expect(said).not.toMatch(/discarded/);
      expect(s.conn.frames("stopped")).toEqual([]); // the lease is not given up: the restarted agent reports it
      const again = await restartReports(agent, "job_fin", 3);
      expect(again.report).toMatchObject({ type: "complete", leaseEpoch: 3, checkpoint: { sha: expect.any(String) } });
      expect(again.ranAgain).toBe(false);
    } finally {
      agent.remove();
    }
  });
});

describe("a fatal close that ends the lease while a finished run reports", () => {
  it.each<[string, string, Hold]>([
    ["factory deregistered", "its lease ended with the factory", "the final checkpoint"],
    ["factory deregistered", "its lease ended with the factory", "the complete frame"],
    ["factory token revoked", "its lease ended with the token", "the final checkpoint"],
  ])("(%s, %s) with %s under way: the run is given up, nothing of it kept on this host", async (reason, ended, hold) => {
    const agent = tempAgent(rest.url);
    try {
      const s = supervised(agent);
      const held = holdAnswer(s.conn, hold, "job_fin");
      s.conn.welcome([assignment("job_fin", DONE, 4)]);
      await until(hold, held.sent);
      const seat = s.seat("job_fin");
      const verdict = closeVerdict(CLOSE.revoked, reason);
      if (verdict.kind !== "fatal") throw new Error("not fatal");
      s.handlers.onFatal(verdict.error);
      await until("the job's line", () => line(agent, "job.connection_closed"));
      held.drop();
      expect(await s.exited).toBe(3);
      await seat?.finished;
      const said = String(line(agent, "job.connection_closed")?.message);
      expect(said).toMatch(/^job_fin stopped: the coordinator closed this agent's connection for good \(/);
      expect(said).toMatch(/its engine had exited .*: given up, as no restart can report it/);
      expect(said).toContain(ended);
      expect(said).not.toMatch(/kept on this host|reports it, not runs it/);
      // No restart reports it: its workspace, job file, log and record are not left on disk for ever.
      expect(new JobRecords(agent.cfg.stateDir).read("job_fin")).toBeUndefined();
      expect(existsSync(jobDir(agent.cfg.workDir, "job_fin"))).toBe(false);
      expect(existsSync(`${jobDir(agent.cfg.workDir, "job_fin")}.job.md`)).toBe(false);
      const logs = path.join(agent.cfg.stateDir, "logs");
      expect(existsSync(logs) ? readdirSync(logs).filter((f) => f.startsWith("job_fin")) : []).toEqual([]);
    } finally {
      agent.remove();
    }
  });
});
