// What a newcomer saw of a job the host could not run: a job naming a repository by a path on a host started without
// --allow-local-repos is rejected — this host's configuration, not the job's fault: no attempt spent, another host
// may take it — where it failed three times on this host in a second and was dead-lettered. And every ending of a
// seat's run sends the job log's last lines before the frame that ends the lease (the coordinator refuses progress
// after it): a workspace that could not be prepared, an agent error, a drain that gave the job back — so the line
// saying why is in the feed, and, before a report, the log is uploaded as log.txt. Real SeatRunner, git and engine.
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import type { OutFrame } from "../../src/agent/connection.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import {
  assignment,
  FakeConnection,
  failEnginePidWrite,
  seatContext,
  tempAgent,
  until,
  useArtifactServer,
} from "./agent-fakes.ts";

const rest = useArtifactServer();

/** The index in `sent` of the first progress frame whose logs hold a line matching `text`, or -1. */
function loggedAt(sent: readonly OutFrame[], text: RegExp): number {
  return sent.findIndex((f) => f.type === "progress" && (f.logs ?? []).some((l) => text.test(l.text)));
}

it("a job whose repo is a path on a host without --allow-local-repos is rejected, not failed", async () => {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const repo = path.join(agent.dir, "x", "myrepo");
    const runner = new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_local", "", 1, { repo }), false);
    await runner.finished;
    expect(conn.finalReport("job_local")).toBeUndefined();
    const reject = conn.frames("reject")[0];
    expect(reject).toMatchObject({ jobId: "job_local", leaseEpoch: 1 });
    expect(reject?.type === "reject" ? reject.reason : "").toMatch(/is a path on this host.*--allow-local-repos/);
    expect(agent.events.find((e) => e.event === "job.released")?.message).toMatch(/--allow-local-repos/);
    expect(existsSync(path.join(agent.cfg.workDir, "mirrors"))).toBe(false); // nothing prepared for it
  } finally {
    agent.remove();
  }
});

it("a workspace that cannot be prepared: the reason reaches the feed before the failure, and log.txt is uploaded", async () => {
  const agent = tempAgent(rest.url, { allowLocalRepos: true });
  try {
    const conn = new FakeConnection();
    const repo = path.join(agent.dir, "no-such-repo");
    const runner = new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_prep", "", 1, { repo }), false);
    await runner.finished;
    const report = conn.finalReport("job_prep");
    expect(report?.type).toBe("fail");
    const noted = loggedAt(conn.sent, /^could not prepare the workspace: /);
    expect(noted).toBeGreaterThanOrEqual(0);
    expect(noted).toBeLessThan(conn.sent.indexOf(report as OutFrame));
    expect(rest.uploads.some((u) => u.includes("/jobs/job_prep/artifacts") && u.includes("name=log.txt"))).toBe(true);
  } finally {
    agent.remove();
  }
});

it("an agent error: its message reaches the feed before the failure, and log.txt is uploaded", async () => {
  const agent = tempAgent(rest.url);
  const conn = new FakeConnection();
  const ctx = seatContext(conn, agent, rest.url);
  const full = failEnginePidWrite(ctx.records);
  try {
    const runner = new SeatRunner(ctx, assignment("job_agenterr", "gf-sample-seconds: 30\n"), false);
    await runner.finished;
    const report = conn.finalReport("job_agenterr");
    expect(report?.type).toBe("fail");
    const noted = loggedAt(conn.sent, /^agent error: ENOSPC/);
    expect(noted).toBeGreaterThanOrEqual(0);
    expect(noted).toBeLessThan(conn.sent.indexOf(report as OutFrame));
    expect(rest.uploads.some((u) => u.includes("/jobs/job_agenterr/artifacts") && u.includes("name=log.txt"))).toBe(
      true,
    );
  } finally {
    full.killGroup();
    agent.remove();
  }
});

it("a drain that gives the job back sends the run's last lines before the release", async () => {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url);
    const runner = new SeatRunner(ctx, assignment("job_drain", "gf-sample-seconds: 30\n"), false);
    await until("the engine's start", () => ctx.records.read("job_drain")?.enginePid);
    // Work to checkpoint: the give-back's final checkpoint notes its push just before the release frame goes.
    writeFileSync(path.join(jobDir(agent.cfg.workDir, "job_drain"), "work.txt"), "done so far\n");
    await runner.release("drain timed out");
    const release = conn.frames("release")[0];
    expect(release).toMatchObject({ jobId: "job_drain" });
    const noted = loggedAt(conn.sent, /^checkpoint \w+ pushed to /);
    expect(noted).toBeGreaterThanOrEqual(0);
    expect(noted).toBeLessThan(conn.sent.indexOf(release as OutFrame));
    expect(existsSync(jobDir(agent.cfg.workDir, "job_drain"))).toBe(false);
  } finally {
    agent.remove();
  }
});
