// Real `gigafactory-agent` processes against the real local runtime: enroll with a one-time code, push dispatch
// over the WebSocket, the sample engine in a git worktree, streamed logs, artifacts, budgets, cancel, crash
// recovery from a checkpoint branch on another agent, restart without repeats (and, within the lease, the run charged
// both engines' spend), a coordinator stopped or killed -9 mid-job with no lease lost and no job run twice, drain
// (preemption with real agents is fleet-policies.test.ts's), and revocation.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { reachableSample, reachableSampleArgs } from "../../scripts/engine-user-reach.ts";
import { ROOT } from "../../scripts/local-server.ts";
import { pidAlive } from "../../src/shared/pid-lock.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { AgentProc, poll } from "./agent-procs.ts";
import { ADMIN, call, type Harness, P, startHarness } from "./harness.ts";
import { setLongLived } from "./long-lived.ts";
import { ProductClient } from "./product-client.ts";

const tmp = mkdtempSync(path.join(tmpdir(), "gf-e2e-agent-"));
const PIDS = path.join(tmp, "pids");
// Under root the agents run engines as `nobody` (agent/engine-user): it must reach the work dirs, write the
// sample engine's pid files, and own the origin repositories it clones from and pushes WIP to.
const ENGINE_USER = process.getuid?.() === 0 ? "65534:65534" : undefined;
// In a checkout `nobody` cannot enter (e.g. under /root): a reachable copy of the sample engine (scripts/engine-user-reach).
const SAMPLE_ARGS = reachableSampleArgs(ROOT);
chmodSync(tmp, 0o755);
mkdirSync(PIDS, { mode: 0o777 });
chmodSync(PIDS, 0o777);

interface Job {
  id: string;
  stage: string;
  attempt: number;
  leaseEpoch: number;
  holderFactoryId?: string;
  checkpoint?: { branch?: string; sha?: string };
  lastResult?: { outcome: string; rc?: number; retryable?: boolean; message?: string };
}
interface JobEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

/** Every agent of this file (test/e2e/agent-procs), its engines' pid files in PIDS: dumped on failure, killed after. */
const live: AgentProc[] = [];
function agentProc(args: string[], env: Record<string, string> = {}): AgentProc {
  const agent = new AgentProc(args, { GF_SAMPLE_PID_DIR: PIDS, ...env });
  live.push(agent);
  return agent;
}

/** Beside the state dir, as the agent's default: never inside it. */
const workDir = (stateDir: string) => `${stateDir}-work`;

function enginePid(jobId: string): number | undefined {
  const file = path.join(PIDS, `${jobId}.pid`);
  return existsSync(file) ? Number(readFileSync(file, "utf8")) : undefined;
}

const git = (cwd: string, ...args: string[]) =>
  // The origins belong to the engine user: trust them here, where root reads them.
  execFileSync("git", ["-c", "safe.directory=*", ...args], {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@t",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@t",
    },
  }).trim();

/** A bare "remote" with one commit on main, as a job's `repo` would name it. */
function originRepo(name: string): string {
  const origin = path.join(tmp, `${name}.git`);
  const seed = path.join(tmp, `${name}-seed`);
  git(tmp, "init", "-q", "--bare", "-b", "main", origin);
  git(tmp, "init", "-q", "-b", "main", seed);
  writeFileSync(path.join(seed, "README.md"), "# app\n");
  git(seed, "add", ".");
  git(seed, "commit", "-q", "-m", "init");
  git(seed, "push", "-q", origin, "main");
  if (ENGINE_USER) execFileSync("chown", ["-R", ENGINE_USER, origin]);
  return origin;
}

describe("gigafactory-agent against a real coordinator", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  // On failure, show what every agent of that test said: the coordinator's side is in the assertion.
  let firstOfTest = 0;
  beforeEach(() => {
    firstOfTest = live.length;
    onTestFailed(() => {
      for (const [i, a] of live.slice(firstOfTest).entries()) console.error(`--- agent ${i}\n${a.output()}`);
    });
  });
  afterAll(async () => {
    for (const a of live) if (a.proc.exitCode === null) a.proc.kill("SIGKILL");
    for (const f of existsSync(PIDS) ? readdirPids() : []) if (pidAlive(f)) process.kill(f, "SIGKILL");
    await h?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  const api = <T = Record<string, unknown>>(product: string, method: string, p: string, json?: unknown) =>
    call<T>(h.url, method, `${P(product)}${p}`, ADMIN, json);

  async function submit(product: string, manifest: Record<string, unknown>, bodyMd: string): Promise<Job> {
    const r = await api<Job>(product, "POST", "/jobs", { manifest, bodyMd });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  }
  const getJob = async (product: string, id: string) => (await api<Job>(product, "GET", `/jobs/${id}`)).body;
  /**
   * A quick job submitted to `product` now, run to its end by `agent` (one seat): what the agent does with the jobs
   * it had, it has done by then — the seat went to them first.
   */
  async function nextJobDone(product: string, agent: AgentProc): Promise<void> {
    const next = await submit(product, { title: "Next one", engine: "sample" }, "gf-sample-seconds: 0\n");
    await waitJob(product, next.id, (j) => j.stage === "testing");
    await agent.waitFor("job.done", (e) => e.jobId === next.id);
  }
  async function waitJob(product: string, id: string, pred: (j: Job) => boolean, ms = 90_000): Promise<Job> {
    let last: Job | undefined;
    try {
      return await poll(`job ${id}`, ms, async () => {
        last = await getJob(product, id);
        return pred(last) ? last : undefined;
      });
    } catch (err) {
      throw new Error(`${(err as Error).message}; last seen ${JSON.stringify(last)}`);
    }
  }
  async function allEvents(product: string, id: string): Promise<JobEvent[]> {
    const out: JobEvent[] = [];
    for (let after = 0; ; ) {
      const r = await api<{ events: JobEvent[] }>(product, "GET", `/jobs/${id}/events?after=${after}&limit=500`);
      out.push(...r.body.events);
      const last = r.body.events[r.body.events.length - 1];
      if (!last) return out;
      after = last.seq;
    }
  }
  const logText = (events: JobEvent[]) =>
    events
      .filter((e) => e.type === "log")
      .flatMap((e) => (e.data.lines as Array<{ text: string }>).map((l) => l.text))
      .join("\n");

  /** Enroll a host the way an operator would: mint a one-time code, run `gigafactory-agent enroll`. */
  async function enroll(
    product: string,
    name: string,
    grant: string[] = [],
  ): Promise<{ stateDir: string; factoryId: string }> {
    const code = await api<{ code: string }>(product, "POST", "/factories/enrollment-codes", {});
    expect(code.status).toBe(201);
    const stateDir = path.join(tmp, product, name);
    const a = agentProc([
      "enroll",
      "--url",
      h.url,
      "--product",
      product,
      "--code",
      code.body.code,
      "--name",
      name,
      ...grant,
      "--state-dir",
      stateDir,
      "--json",
    ]);
    expect(await a.exited, a.output()).toBe(0);
    const cfg = JSON.parse(readFileSync(path.join(stateDir, "config.json"), "utf8")) as {
      factoryId: string;
      token: string;
    };
    expect(cfg.token).toMatch(new RegExp(`^gf_${product}_`));
    return { stateDir, factoryId: cfg.factoryId };
  }

  function run(stateDir: string, extra: string[] = [], opts: { json?: boolean; env?: Record<string, string> } = {}) {
    const args = [
      "run",
      "--state-dir",
      stateDir,
      "--work-dir",
      workDir(stateDir),
      "--allow-local-repos",
      "--checkpoint-interval",
      "0.5",
      ...SAMPLE_ARGS,
      ...extra,
    ];
    return agentProc(opts.json === false ? args : [...args, "--json"], opts.env);
  }

  it("runs a repo job end to end: push → accept → worktree → streamed logs → checkpoint → artifacts → testing; a restart does not repeat it", async () => {
    const product = "agent-flow";
    const origin = originRepo("origin");

    const { stateDir } = await enroll(product, "host-a");
    expect(statSync(path.join(stateDir, "config.json")).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    const agent = run(stateDir);
    await agent.waitFor("connected");

    const job = await submit(
      product,
      { title: "Add a greeting", engine: "sample", repo: origin },
      "Add a greeting.\ngf-sample-seconds: 2\n",
    );
    const done = await waitJob(product, job.id, (j) => j.stage === "testing");
    expect(done.lastResult).toMatchObject({ outcome: "success", rc: 0 });
    await agent.waitFor("job.done", (e) => e.jobId === job.id);

    const events = await allEvents(product, job.id);
    const stages = events.filter((e) => e.type === "job.stage").map((e) => e.data.to);
    expect(stages).toEqual(expect.arrayContaining(["assigned", "building", "testing"]));
    // Started in one round trip: the accept carried `building` (welcome announced it), so no separate
    // `progress {stage: "building"}` followed — that frame's note ("engine sample") is nowhere in the feed.
    const notes = events.filter((e) => e.type === "progress").map((e) => String(e.data.note));
    expect(notes.filter((n) => n.startsWith("engine "))).toEqual([]);
    const log = logText(events);
    expect(log).toMatch(/workspace .* \(repo\); engine sample/);
    expect(log).toMatch(/sample engine: working on "Add a greeting"/);
    expect(log).toMatch(/step 1\/4/);
    expect(events.some((e) => e.type === "checkpoint")).toBe(true);

    // The WIP branch went to the repo's own remote, and holds the engine's work.
    // One branch per lease epoch, so a zombie's late push can never overwrite the next holder's.
    expect(done.checkpoint?.branch).toBe(`gf/wip/${job.id}-e${done.leaseEpoch}`);
    const wip = git(origin, "rev-parse", done.checkpoint?.branch as string);
    expect(git(origin, "ls-tree", "-r", "--name-only", wip).split("\n")).toEqual(
      expect.arrayContaining(["README.md", "NOTES.md", "src/add-a-greeting.txt"]),
    );

    const arts = await api<{ artifacts: Array<{ name: string; size: number }> }>(
      product,
      "GET",
      `/jobs/${job.id}/artifacts`,
    );
    expect(arts.body.artifacts.map((a) => a.name).sort()).toEqual(["diff.patch", "log.txt"]);
    const diff = await fetch(`${h.url}${P(product)}/jobs/${job.id}/artifacts/diff.patch`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(await diff.text()).toMatch(/\+\+\+ b\/src\/add-a-greeting\.txt/);
    const runs = await api<{ runs: Array<{ result?: { outcome: string }; insights?: Record<string, unknown> }> }>(
      product,
      "GET",
      `/jobs/${job.id}/runs`,
    );
    expect(runs.body.runs).toHaveLength(1);
    expect(runs.body.runs[0]?.insights).toMatchObject({
      tokensIn: expect.any(Number),
      diffStat: { files: 2, insertions: 6, deletions: 0 },
    });

    // The done record is written, with `ended`, once the coordinator acknowledged the report.
    const record = JSON.parse(readFileSync(path.join(stateDir, "jobs", `${job.id}.json`), "utf8"));
    expect(record).toMatchObject({ jobId: job.id, report: { type: "complete" }, ended: expect.any(Number) });

    // Restart: the agent reconnects and does not run its finished job again.
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    const again = run(stateDir);
    await again.waitFor("connected");
    // A state, not a wait: a job run again would start from the welcome's leases or a push, on its one seat, before
    // a job submitted now can start there and end.
    await nextJobDone(product, again);
    expect(again.events().filter((e) => e.event === "job.start" && e.jobId === job.id)).toEqual([]);
    expect((await getJob(product, job.id)).stage).toBe("testing");
    expect((await api<{ runs: unknown[] }>(product, "GET", `/jobs/${job.id}/runs`)).body.runs).toHaveLength(1);
    again.proc.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("takes the next job on a seat as soon as its report is acknowledged, not after cleanup: no job bounces", async () => {
    const product = "agent-seat";
    const origin = originRepo("seat-origin");
    const { stateDir } = await enroll(product, "one-seat");
    const agent = run(stateDir, ["--seats", "1"]);
    await agent.waitFor("connected");
    // Queued together: each next one is pushed the moment the coordinator has the previous report, while the
    // agent is still removing that job's worktree. The agent used to count that seat as busy, release the push
    // ("no free seat"), and get the same job pushed again with a new epoch.
    const jobs = [];
    for (let i = 0; i < 4; i++)
      jobs.push(
        await submit(product, { title: `seat ${i}`, engine: "sample", repo: origin }, "gf-sample-seconds: 0\n"),
      );
    for (const j of jobs) await waitJob(product, j.id, (x) => x.stage === "testing");
    for (const j of jobs) {
      const events = await allEvents(product, j.id);
      const types = events.map((e) => e.type);
      const lost = events.filter((e) => e.type === "lease.lost").map((e) => JSON.stringify(e.data));
      expect(
        types.filter((t) => t === "lease.granted"),
        `${j.id}: ${types.join(" ")} ${lost}`,
      ).toHaveLength(1);
      expect(types, j.id).not.toContain("lease.lost");
    }
  });

  it("rides out a coordinator restart mid-job: reconnects with backoff, keeps its lease, reports once it is back", async () => {
    const product = "agent-outage";
    const { stateDir } = await enroll(product, "host-o");
    const agent = run(stateDir);
    await agent.waitFor("connected");
    const job = await submit(product, { title: "Through an outage", engine: "sample" }, "gf-sample-seconds: 4\n");
    await waitJob(product, job.id, (j) => j.stage === "building");
    await h.restart("stop");
    await agent.waitFor("reconnected", () => true, 120_000);
    const done = await waitJob(product, job.id, (j) => j.stage === "testing");
    expect(done.attempt).toBe(1); // same lease throughout: welcome.leases handed it back
    expect(agent.events().some((e) => e.event === "disconnected")).toBe(true);
    expect((await api<{ runs: unknown[] }>(product, "GET", `/jobs/${job.id}/runs`)).body.runs).toHaveLength(1);
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
  });

  it("rides out a coordinator killed -9 mid-job with its leases near their end: none expires, no job runs twice", async () => {
    // The crash drops the sockets without a close event. At the restart the leases (TTL 10 s, renewed at 5 s) are
    // about to end or just over, never 5 s overdue: they were expired before the agent's reconnect (backoff ≤ 10 s)
    // and ran again (attempt 2). Now the holder, stored connected with no socket attached, gets the outage grace.
    const product = "agent-crash";
    const { stateDir } = await enroll(product, "host-k", ["--seats", "2"]);
    const agent = run(stateDir, ["--seats", "2", "--lease-ttl", "10"]);
    await agent.waitFor("connected");
    const jobs: Job[] = [];
    for (let i = 0; i < 2; i++)
      jobs.push(await submit(product, { title: `crash ${i}`, engine: "sample" }, "gf-sample-seconds: 8\n"));
    for (const j of jobs) await waitJob(product, j.id, (x) => x.stage === "building");
    await h.restart("crash");
    await agent.waitFor("reconnected", () => true, 120_000);
    for (const j of jobs) {
      const done = await waitJob(product, j.id, (x) => x.stage === "testing", 120_000);
      const types = (await allEvents(product, j.id)).map((e) => e.type);
      expect({ attempt: done.attempt, lost: types.filter((t) => t === "lease.lost").length }).toEqual({
        attempt: 1,
        lost: 0,
      });
      expect((await api<{ runs: unknown[] }>(product, "GET", `/jobs/${j.id}/runs`)).body.runs).toHaveLength(1);
    }
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
  });

  it("stops an engine that overruns its wall budget and reports budget_exceeded (not retried)", async () => {
    const product = "agent-budget";
    const { stateDir } = await enroll(product, "host-b");
    const agent = run(stateDir);
    await agent.waitFor("connected");
    const job = await submit(
      product,
      { title: "Too slow", engine: "sample", budget: { wallSeconds: 1 } },
      "gf-sample-seconds: 60\n",
    );
    const failed = await waitJob(product, job.id, (j) => j.stage === "failed");
    expect(failed.lastResult).toMatchObject({ outcome: "budget_exceeded", retryable: false });
    // Whoever notices first: the agent's own wall clock, or the coordinator checking a progress report (issue 9).
    expect(failed.lastResult?.message).toMatch(/wall-clock budget of 1s exceeded|over the job budget of 1 s wall time/);
    const pid = enginePid(job.id);
    expect(pid).toBeDefined();
    expect(pidAlive(pid as number)).toBe(false);
    // A state, not a wait: once a job submitted now has run on the agent's one seat, the overrun job's run is over
    // on both sides (its end reported, or its lease gone) — and it stayed failed, not queued again.
    await nextJobDone(product, agent);
    expect((await getJob(product, job.id)).stage).toBe("failed");
    expect((await api<{ runs: unknown[] }>(product, "GET", `/jobs/${job.id}/runs`)).body.runs).toHaveLength(1);
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
  });

  // How soon the engine stops (SIGTERM, then SIGKILL to its group after CANCEL_GRACE_MS = 2 s) is a unit test's
  // (agent-engine-runner, fake engines); here, a state: the 60 s engine is gone long before its end, by the cancel.
  it("stops the engine on a pushed cancel and discards the work", async () => {
    const product = "agent-cancel";
    const { stateDir } = await enroll(product, "host-c");
    const agent = run(stateDir);
    await agent.waitFor("connected");
    const job = await submit(product, { title: "Cancel me", engine: "sample" }, "gf-sample-seconds: 60\n");
    await waitJob(product, job.id, (j) => j.stage === "building");
    const pid = await poll("engine pid", 30_000, () => enginePid(job.id));
    expect(pidAlive(pid)).toBe(true);
    const cancelled = await api<Job>(product, "POST", `/jobs/${job.id}/actions/cancel`, { note: "e2e" });
    expect(cancelled.body.stage).toBe("cancelled");
    await poll("engine to exit", 10_000, () => !pidAlive(pid));
    await agent.waitFor("job.cancelled", (e) => e.jobId === job.id);
    await poll("workspace removal", 10_000, () => !existsSync(path.join(workDir(stateDir), "jobs", job.id)));
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
  });

  it("paused past its lease (SIGSTOP) then resumed: says the lease was lost (not cancelled), stops the engine, takes new work", async () => {
    const product = "agent-paused";
    const { stateDir } = await enroll(product, "host-z");
    const agent = run(stateDir);
    await agent.waitFor("connected");
    const manifest = { title: "Outlived", engine: "sample", leaseTtlSeconds: 5, maxAttempts: 3 };
    const job = await submit(product, manifest, "gf-sample-seconds: 120\n");
    const building = await waitJob(product, job.id, (j) => j.stage === "building");
    const pid = await poll("engine pid", 30_000, () => enginePid(job.id));
    const agentPid = agent.proc.pid as number;
    process.kill(agentPid, "SIGSTOP");
    try {
      // The coordinator's alarm expires the lease it no longer hears renewed, and requeues the job.
      await waitJob(product, job.id, (j) => j.leaseEpoch > building.leaseEpoch && j.stage === "queued", 30_000);
    } finally {
      process.kill(agentPid, "SIGCONT");
    }
    const lost = await agent.waitFor("job.lease_lost", (e) => e.jobId === job.id);
    expect(String(lost.message)).toMatch(/lease (expired|lapsed|lost)|no renewal|no longer leases/);
    await poll("engine to exit", 10_000, () => !pidAlive(pid));
    const said = agent
      .events()
      .filter((e) => e.jobId === job.id)
      .map((e) => e.event);
    expect(said).not.toContain("job.cancelled");
    expect(said).not.toContain("job.report_failed");
    const errors = agent.events().filter((e) => e.level === "error" && e.event !== "job.lease_lost"); // nothing else went wrong
    expect(errors.map((e) => e.message)).toEqual([]);
    // Still a working host: the next job (the expired one is kept from it for a backoff) runs here to its end.
    const next = await submit(product, { title: "After the pause", engine: "sample" }, "gf-sample-seconds: 0\n");
    const done = await waitJob(product, next.id, (j) => !["queued", "assigned", "building"].includes(j.stage));
    expect(done.stage).not.toBe("failed");
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
  });

  it("a job whose agent is SIGKILLed mid-run is reassigned to a second agent that resumes from its checkpoint branch", async () => {
    const product = "agent-crash";
    const remote = path.join(tmp, "shared-checkpoints.git");
    const a = await enroll(product, "host-d1");
    const b = await enroll(product, "host-d2");
    const common = ["--lease-ttl", "5", "--checkpoint-remote", remote];
    const first = run(a.stateDir, common);
    await first.waitFor("connected");
    // The second agent's run resumes the first's work (NOTES.md is there): 1 s of work, not the first run's 8 again.
    const job = await submit(
      product,
      { title: "Survive a crash", engine: "sample", maxAttempts: 3 },
      "gf-sample-seconds: 8\ngf-sample-resume-seconds: 1\n",
    );
    const held = await waitJob(
      product,
      job.id,
      (j) => j.holderFactoryId === a.factoryId && !!j.checkpoint?.sha,
      60_000,
    );
    const firstSha = held.checkpoint?.sha as string;

    first.proc.kill("SIGKILL");
    await first.exited;
    const orphan = enginePid(job.id);
    if (orphan && pidAlive(orphan)) process.kill(orphan, "SIGKILL"); // the crashed host's engine dies with the host
    const second = run(b.stateDir, common);
    await second.waitFor("connected");

    const done = await waitJob(product, job.id, (j) => j.stage === "testing", 120_000);
    expect(done.attempt).toBe(2);
    const events = await allEvents(product, job.id);
    expect(events.some((e) => e.type === "lease.lost" && e.data.why === "expired")).toBe(true);
    expect(logText(events)).toMatch(new RegExp(`resumed from checkpoint ${firstSha.slice(0, 12)}`));
    // The second agent's work builds on the first agent's WIP commit.
    const finalSha = done.checkpoint?.sha as string;
    expect(finalSha).not.toBe(firstSha);
    git(remote, "merge-base", "--is-ancestor", firstSha, finalSha);
    const notes = git(remote, "show", `${finalSha}:NOTES.md`);
    expect(notes).toMatch(/attempt 1 started/);
    expect(notes).toMatch(/attempt 2 finished/);
    second.proc.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  it("an agent SIGKILLed and restarted within its lease resumes the job it still holds, stopping its orphaned engine", async () => {
    const product = "agent-restart";
    const { stateDir } = await enroll(product, "host-h");
    // The sample engine with its output discarded: a real orphan keeps working after its agent died, while the
    // sample engine would die of EPIPE at its next log line — and that race would decide what this test sees.
    const sample = reachableSample(ROOT);
    const quiet = `sample=sh -c 'exec "$0" "$1" >/dev/null 2>&1' ${sample.node} ${sample.script}`;
    const first = run(stateDir, ["--lease-ttl", "30", "--engine", quiet]);
    await first.waitFor("connected");
    // Long enough that the orphan cannot simply finish on its own before the restarted agent stops it; the resumed
    // run (its work tree holds the orphan's NOTES.md) works 1 s, not 15 again.
    const job = await submit(
      product,
      { title: "Keep going", engine: "sample" },
      "gf-sample-seconds: 15\ngf-sample-resume-seconds: 1\n",
    );
    await waitJob(product, job.id, (j) => j.stage === "building" && !!j.checkpoint?.sha);
    const orphan = await poll("engine pid", 30_000, () => enginePid(job.id));
    first.proc.kill("SIGKILL");
    await first.exited;
    expect(pidAlive(orphan)).toBe(true); // its own process group: it outlives the agent

    const second = run(stateDir, ["--lease-ttl", "30", "--engine", quiet]);
    await second.waitFor("job.start", (e) => e.jobId === job.id && String(e.message).includes("resuming"));
    await poll("orphaned engine to be stopped", 10_000, () => !pidAlive(orphan));
    const done = await waitJob(product, job.id, (j) => j.stage === "testing");
    expect(done.attempt).toBe(1); // the same lease, never requeued
    const events = await allEvents(product, job.id);
    expect(events.some((e) => e.type === "lease.lost")).toBe(false);
    expect(logText(events)).toMatch(new RegExp(`stopped engine ${orphan} left running by an earlier agent process`));
    second.proc.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });

  // The budget's spend read before the second engine and after it: one budget period (test/support/budget-period-run).
  it("an agent SIGKILLed and restarted within its lease charges the run both engines' spend, not the larger one", () =>
    inOneBudgetPeriod(async (period) => {
      const product = period.product("agent-restart-spend");
      const { stateDir } = await enroll(product, "host-s");
      // "Within its lease" made to hold, not raced: a 30 s lease renewed every 15 s had 15-30 s left at the kill, and a
      // slow restart outlived it (reconnected with no lease, the job run again as attempt 2). An hour (long-lived.ts).
      await setLongLived(new ProductClient(h.url, product));
      const set = await api(product, "PUT", "/budget", { period: "day", ceilingUsd: 100, onExhausted: "pause" });
      expect(set.status).toBe(200);
      const spent = async () => (await api<{ spentUsd: number }>(product, "GET", "/budget")).body.spentUsd;
      const first = run(stateDir, ["--lease-ttl", "3600"]);
      await first.waitFor("connected");
      // $1 a second up to $4: the first engine is killed once some of it was charged, 2 s or more before its $4; the
      // second, resuming (its work tree holds the first's NOTES.md), spends all $4 in 1 s.
      const job = await submit(
        product,
        { title: "Pay twice", engine: "sample" },
        "gf-sample-cost: 4\ngf-sample-seconds: 4\ngf-sample-resume-seconds: 1\n",
      );
      await poll("the first engine's spend to be charged", 30_000, async () => (await spent()) >= 1);
      first.proc.kill("SIGKILL");
      await first.exited;
      const orphan = enginePid(job.id);
      if (orphan && pidAlive(orphan)) process.kill(orphan, "SIGKILL"); // its spend after the crash is never reported

      const second = run(stateDir, ["--lease-ttl", "3600"]);
      await second.waitFor("job.start", (e) => e.jobId === job.id && String(e.message).includes("resuming"));
      const before = await spent(); // the first engine's, as charged: its socket closed before this hello was answered
      expect(before).toBeGreaterThanOrEqual(1);
      expect(before).toBeLessThan(4);
      const done = await waitJob(product, job.id, (j) => j.stage === "testing");
      expect(done.attempt).toBe(1); // the same lease (and run), never requeued
      // The second engine's $4 on top of the first's: without the run's spend as its base, the run stayed at $4.
      expect(await spent()).toBeCloseTo(before + 4, 6);
      type Insights = { costUsd?: number; tokensIn?: number; tokensOut?: number; baseTokens?: number };
      const runs = await api<{ runs: Array<{ insights?: Insights }> }>(product, "GET", `/jobs/${job.id}/runs`);
      expect(runs.body.runs).toHaveLength(1);
      const insights = runs.body.runs[0]?.insights;
      expect(insights?.costUsd).toBeCloseTo(before + 4, 6);
      // The first engine's spend was priced (the sample engine reports USD): its tokens go on tokensIn whatever their
      // split (agent/run-usage foldTokens — by side they would widen the estimate's written bound for a fresh engine's
      // unpriced tokens), with no baseTokens (a priced base is none of the unpriced tokens). tokensOut is the second
      // engine's own 20 %, and the run's in + out is both engines' (100 000 tokens per USD).
      expect(insights?.baseTokens).toBeUndefined();
      expect(Math.abs((insights?.tokensOut ?? 0) - 4 * 20_000)).toBeLessThanOrEqual(1);
      const total = (insights?.tokensIn ?? 0) + (insights?.tokensOut ?? 0);
      expect(Math.abs(total - (before + 4) * 100_000)).toBeLessThanOrEqual(2);
      second.proc.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }));

  it("drains on SIGTERM: a running job finishes and is reported before the agent exits 0, and the factory reads left", async () => {
    const product = "agent-drain";
    const { stateDir, factoryId } = await enroll(product, "host-e");
    const agent = run(stateDir);
    await agent.waitFor("connected");
    const job = await submit(product, { title: "Finish first", engine: "sample" }, "gf-sample-seconds: 3\n");
    await waitJob(product, job.id, (j) => j.stage === "building");
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    expect((await getJob(product, job.id)).stage).toBe("testing");
    const names = agent.events().map((e) => e.event);
    expect(names.indexOf("draining")).toBeLessThan(names.indexOf("job.done"));
    expect(names.indexOf("job.done")).toBeLessThan(names.indexOf("drained"));
    // Stopped on purpose (drained, closed 1000, nothing held): `left`, not the `down` an operator is paged for.
    const health = () =>
      api<{ factories: Array<{ id: string; health: string }> }>(product, "GET", "/factories").then(
        (r) => r.body.factories.find((f) => f.id === factoryId)?.health,
      );
    expect(await poll("health left", 10_000, async () => ((await health()) === "left" ? true : undefined))).toBe(true);
  });

  it("on drain timeout, checkpoints the running job and gives it back, then exits 0", async () => {
    const product = "agent-drain-timeout";
    const { stateDir } = await enroll(product, "host-f");
    const agent = run(stateDir, ["--drain-timeout", "1"]);
    await agent.waitFor("connected");
    const job = await submit(product, { title: "Too long to wait for", engine: "sample" }, "gf-sample-seconds: 60\n");
    await waitJob(product, job.id, (j) => j.stage === "building" && !!j.checkpoint?.sha);
    agent.proc.kill("SIGTERM");
    expect(await agent.exited).toBe(0);
    const back = await getJob(product, job.id);
    expect(back.stage).toBe("queued");
    expect(back.checkpoint?.branch).toBe(`gf/wip/${job.id}-e${back.leaseEpoch - 1}`); // released: epoch + 1
    await agent.waitFor("job.released", (e) => e.jobId === job.id, 1000);
    const pid = enginePid(job.id);
    expect(pid !== undefined && pidAlive(pid)).toBe(false);
  });

  it("stops for good, with a clear message, when its factory token is revoked", async () => {
    const product = "agent-revoke";
    const { stateDir, factoryId } = await enroll(product, "host-g");
    const agent = run(stateDir, [], { json: false });
    await poll("connected line", 60_000, () => agent.lines.find((l) => l.startsWith("✔ connected as host-g")));
    expect(agent.lines.join("\n")).toMatch(
      new RegExp(`✔ connected as host-g \\(${factoryId}\\) — 1 seat, caps: .*engine:sample`),
    );
    const r = await api(product, "POST", `/factories/${factoryId}/token/revoke`);
    expect(r.status).toBe(200);
    expect(await agent.exited).toBe(3);
    // Normally the coordinator's `revoke` + close 4001 arrives; if the socket happened to drop just before
    // (a coordinator reload), the reconnect is refused with 401 instead. Either way: stop, and say so.
    expect(agent.stderr.join("\n")).toMatch(/✘ ERROR (revoked|unauthorized): .*(revoked).* \/ enroll the host again/);
    expect(agent.stderr[agent.stderr.length - 1]).toMatch(/^✘ ERROR/); // and nothing after it: no reconnect
  });
});

function readdirPids(): number[] {
  return readdirSync(PIDS)
    .filter((f) => f.endsWith(".pid"))
    .map((f) => Number(readFileSync(path.join(PIDS, f), "utf8")));
}
