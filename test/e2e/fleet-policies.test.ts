// The fleet policies of issue 8 working together, end to end: real `gigafactory-agent` processes running the
// sample engine against the real local runtime carry a three-level composite DAG (two children sharing a serial
// key that never run at once; a child that fails once and is retried no earlier than its backoff; a child that
// depends on two siblings and needs a 2-of-3 review by distinct operator tokens), a dependency cancelled mid-way
// (its dependent fails with dependency_failed), and a critical job that preempts a low one, which later resumes
// from its checkpoint on another host's seat. Every job ends in the expected stage, and no job is ever listed waiting without a reason.
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { AgentFleet } from "./agent-procs.ts";
import { WaitingReasonWatch } from "./fleet-watch.ts";
import { createProduct, type Harness, startHarness } from "./harness.ts";
import { logText, ProductClient, type Run, runningSpans, type SeenJob, type TreeNode } from "./product-client.ts";

const PRODUCT = "e2e-policies";
/** Small retries so the scenario stays short; jitter 0 makes the backoff's lower bound exactly `baseSeconds`. */
const RETRY = { baseSeconds: 3, maxSeconds: 6, jitter: 0 };
const ON_P = { requires: ["zone:p"], engine: "sample" }; // the preemption host only
const ON_B = { requires: ["zone:b"], engine: "sample" }; // the DAG host only

describe("fleet policies end to end", () => {
  let h: Harness;
  let c: ProductClient;
  let fleet: AgentFleet;
  let watch: WaitingReasonWatch | undefined;
  let ops: string[] = []; // three operator tokens: three distinct principals
  beforeAll(async () => {
    h = await startHarness();
    fleet = new AgentFleet(h.url);
    await createProduct(h.url, PRODUCT);
    c = new ProductClient(h.url, PRODUCT);
    ops = await c.operators(["op-1", "op-2", "op-3"]);
  });
  beforeEach(() => {
    onTestFailed(() => {
      for (const [i, a] of fleet.agents.entries()) console.error(`--- agent process ${i}\n${a.output()}`);
      console.error(`--- waiting reasons seen: ${JSON.stringify(Object.fromEntries(watch?.codes ?? []))}`);
    });
  });
  afterAll(async () => {
    await watch?.stop();
    await fleet?.stopAll();
    await h?.close();
  });

  const op = () => ops[0] as string;
  const review = (id: string, token: string) =>
    c.api("POST", `/jobs/${id}/reviews`, { verdict: "approve", comment: "looks right" }, token);

  it("runs a composite DAG with a serial key, a retry, a 2-of-3 review, a cancelled dependency and a preemption", async () => {
    const started = Date.now();
    // ---- settings, by an operator: preemption on, short retries.
    const patched = await c.api("PATCH", "/settings", { preemption: true, retry: RETRY }, ops[0]);
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await c.api("GET", "/settings")).body).toMatchObject({ preemption: true, retry: RETRY });

    // ---- hosts: "host-p" (2 seats) for the preemption jobs — and "host-p2" (1 seat), started only once the victim
    // waits, sharing host-p's checkpoint remote as hosts share a repo's; "host-b" (3 seats) for everything else.
    const a = await fleet.enroll(PRODUCT, "host-p", ["zone:p"], 2);
    const a2 = await fleet.enroll(PRODUCT, "host-p2", ["zone:p"], 1);
    const b = await fleet.enroll(PRODUCT, "host-b", ["zone:b"], 3);
    const onP = ["--lease-ttl", "10", "--checkpoint-remote", `${fleet.dir}/checkpoints.git`];
    const agentA = fleet.run(a.stateDir, ["--seats", "2", ...onP]);
    const agentB = fleet.run(b.stateDir, ["--seats", "3", "--lease-ttl", "10"]);
    await Promise.all([agentA.waitFor("connected"), agentB.waitFor("connected")]);
    watch = new WaitingReasonWatch(c);

    // ---- every seat of host-p taken by low jobs that checkpoint as they go (15 s fresh, 1 s once resumed).
    const slow = "gf-sample-seconds: 15\ngf-sample-resume-seconds: 1\n";
    const lows = [
      await c.submit({ title: "Low chore 1", priority: "low", ...ON_P }, slow),
      await c.submit({ title: "Low chore 2", priority: "low", ...ON_P }, slow),
    ];

    // ---- the DAG, three levels: Release (composite) → Migrate (composite, children added by their own request)
    // → schema + backfill sharing serial key "db"; Release → Flaky build (fails once); Release → Release notes
    // (deps: its siblings Migrate and Flaky build, by position; 2 reviewers).
    const root = await c.submit({
      title: "Release 1.0",
      kind: "composite",
      ...ON_B,
      children: [
        { title: "Migrate", kind: "composite", ...ON_B },
        { title: "Flaky build", ...ON_B, bodyMd: "gf-sample-fail-attempts: 1\ngf-sample-seconds: 0.5\n" },
        { title: "Release notes", deps: ["#0", "#1"], reviewers: 2, ...ON_B, bodyMd: "gf-sample-seconds: 1\n" },
      ],
    });
    const level2 = (await c.tree(root.id)).children;
    const [migrate, flaky, notes] = ["Migrate", "Flaky build", "Release notes"].map(
      (t) => level2.find((n) => n.title === t) as TreeNode,
    ) as [TreeNode, TreeNode, TreeNode];
    const serial = { serialKey: "db", ...ON_B, bodyMd: "gf-sample-seconds: 3\n" };
    const children = [
      { title: "Migrate schema", ...serial },
      { title: "Backfill rows", ...serial },
    ];
    const added = await c.api<{ children: SeenJob[] }>("POST", `/jobs/${migrate.id}/children`, { children }, op());
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const [schema, backfill] = added.body.children as [SeenJob, SeenJob];

    // ---- a dependency cancelled mid-way.
    const longJob = await c.submit({ title: "Long migration", ...ON_B }, "gf-sample-seconds: 60\n");
    const afterLong = await c.submit({ title: "After the long migration", deps: [longJob.id], ...ON_B });
    await c.waitJob(longJob.id, (j) => j.stage === "building");
    await c.act(longJob.id, "cancel", op());

    // ---- preemption: both low jobs building with a checkpoint, then a critical job for host-p.
    const held = await Promise.all(
      lows.map((l) => c.waitJob(l.id, (j) => j.stage === "building" && !!j.checkpoint?.sha)),
    );
    expect(held.map((j) => j.holderFactoryId)).toEqual([a.factoryId, a.factoryId]);
    // 12 s: longer than host-p2 takes to start, so host-p2's seat is the first one free for the victim.
    const crit = await c.submit({ title: "Hotfix", priority: "critical", ...ON_P }, "gf-sample-seconds: 12\n");
    const cancelled = await agentA.waitFor("job.preempted"); // said as a preemption, not a cancel (agent/lease-notices)
    const victimId = String(cancelled.jobId);
    const other = lows.find((l) => l.id !== victimId) as SeenJob;
    expect(lows.map((l) => l.id)).toContain(victimId);
    const t0 = Date.now();
    await fleet.run(a2.stateDir, ["--seats", "1", ...onP]).waitFor("connected");
    console.log(`host-p2 connected ${Date.now() - t0} ms after the preemption (the critical job works 12 s)`);

    // ---- the operator ships each part once it passed: a composite moves on when all its children shipped, and
    // Release notes' deps are met when Migrate and Flaky build shipped.
    const shipWhenTested = async (id: string) => {
      await c.waitJob(id, (j) => j.stage === "testing");
      await c.act(id, "ship", op());
    };
    for (const id of [schema.id, backfill.id, migrate.id, flaky.id]) await shipWhenTested(id);

    // ---- the 2-of-3 review: op-1 twice counts once; op-2 makes the quorum.
    const inReview = await c.waitJob(notes.id, (j) => j.stage === "review");
    expect(inReview.waitingReason?.code).toBe("review_pending");
    expect((await review(notes.id, op())).status).toBeLessThan(300);
    expect((await review(notes.id, op())).status).toBeLessThan(500);
    expect(await c.reviews(notes.id)).toMatchObject({ required: 2, approvals: 1 });
    expect((await c.job(notes.id)).stage).toBe("review");
    expect((await review(notes.id, ops[1] as string)).status).toBeLessThan(300);
    await shipWhenTested(notes.id);
    const quorum = await c.reviews(notes.id);
    expect(quorum.approvals).toBe(2);
    const approvals = quorum.reviews.filter((r) => r.verdict === "approve");
    expect(new Set(approvals.map((r) => r.reviewerName))).toEqual(new Set(["op-1", "op-2"]));
    expect(new Set(approvals.map((r) => r.reviewer)).size).toBe(2); // two principals (token ids), not names

    // ---- every job in its expected stage.
    await c.waitJob(root.id, (j) => j.stage === "testing");
    for (const id of [victimId, other.id, crit.id]) await c.waitJob(id, (j) => j.stage === "testing");
    const dependent = await c.waitJob(afterLong.id, (j) => j.stage === "failed");
    const expected: Record<string, string> = {
      [root.id]: "testing",
      [migrate.id]: "shipped",
      [schema.id]: "shipped",
      [backfill.id]: "shipped",
      [flaky.id]: "shipped",
      [notes.id]: "shipped",
      [longJob.id]: "cancelled",
      [afterLong.id]: "failed",
      [victimId]: "testing",
      [other.id]: "testing",
      [crit.id]: "testing",
    };
    const actual: Record<string, string> = {};
    for (const id of Object.keys(expected)) actual[id] = (await c.job(id)).stage;
    expect(actual).toEqual(expected);
    await watch.stop();
    console.log(`fleet-policies scenario: ${Date.now() - started} ms, ${watch.polls} listings watched`);
    for (const [id, codes] of watch.codes) console.log(`  ${watch.last.get(id)?.title ?? id}: ${codes.join(" → ")}`);

    // ---- the tree: three levels, each node with its stage.
    const tree = await c.tree(root.id);
    expect(tree.children.map((n) => n.id).sort()).toEqual([migrate.id, flaky.id, notes.id].sort());
    const migrateNode = tree.children.find((n) => n.id === migrate.id);
    const leaves = migrateNode?.children.map((n) => `${n.id} ${n.stage}`).sort();
    expect(leaves).toEqual([`${schema.id} shipped`, `${backfill.id} shipped`].sort());
    expect(tree.children.find((n) => n.id === notes.id)?.deps.sort()).toEqual([migrate.id, flaky.id].sort());

    // ---- the cancelled dependency: its dependent failed, naming it, and says so as its waiting reason.
    expect(dependent.lastResult).toMatchObject({
      outcome: "failure",
      retryable: false,
      message: `dependency_failed: ${longJob.id} is cancelled`,
    });
    expect(dependent.waitingReason?.code).toBe("dependency_failed");
    const depEvents = await c.events(afterLong.id);
    expect(depEvents.find((e) => e.type === "job.dependency_failed")?.data).toMatchObject({
      depId: longJob.id,
      depStage: "cancelled",
    });

    // ---- the serial key: schema and backfill never held a lease at the same time (run history and listings).
    const serialRuns = [...(await c.runs(schema.id)), ...(await c.runs(backfill.id))].sort(
      (x, y) => x.startedAt - y.startedAt,
    );
    expect(serialRuns).toHaveLength(2);
    const [first, second] = serialRuns as [Run, Run];
    expect(first.endedAt, JSON.stringify(serialRuns)).toBeLessThanOrEqual(second.startedAt);
    const spans = [...runningSpans(await c.events(schema.id)), ...runningSpans(await c.events(backfill.id))].sort(
      (x, y) => x.from - y.from,
    );
    expect(spans).toHaveLength(2);
    expect(spans[0]?.to, JSON.stringify(spans)).toBeLessThanOrEqual(spans[1]?.from as number);
    expect(watch.serialOverlaps).toEqual([]);
    const later = second.jobId === schema.id ? schema.id : backfill.id;
    expect(watch.sawCode(later, "serial_key_held"), JSON.stringify(watch.codes.get(later))).toBe(true);

    // ---- the retry: attempt 2 started no earlier than the backoff after attempt 1 failed (event log times).
    const flakyEvents = await c.events(flaky.id);
    const failedAt = flakyEvents.find((e) => e.type === "job.stage" && e.data.to === "failed")?.at as number;
    const grants = flakyEvents.filter((e) => e.type === "lease.granted");
    expect(grants).toHaveLength(2);
    expect((grants[1]?.at as number) - failedAt).toBeGreaterThanOrEqual(RETRY.baseSeconds * 1000);
    expect(logText(flakyEvents)).toMatch(/failing on purpose \(exit 1, attempt 1\)/);
    expect(watch.sawCode(flaky.id, "retry_backoff"), JSON.stringify(watch.codes.get(flaky.id))).toBe(true);

    // ---- the preemption: the victim's run ended "preempted by <critical>", the critical job ran on host-p in its
    // seat, and the victim's next run, on host-p2, resumed from the checkpoint it had when stopped, its attempt not
    // counted.
    const victimRuns = await c.runs(victimId);
    expect(victimRuns).toHaveLength(2);
    expect(victimRuns[0]?.result).toMatchObject({ outcome: "preempted", message: `preempted by ${crit.id}` });
    expect(victimRuns[1]?.result).toMatchObject({ outcome: "success" });
    expect(victimRuns.map((r) => r.factoryId)).toEqual([a.factoryId, a2.factoryId]);
    expect((await c.runs(other.id)).map((r) => r.result?.outcome)).toEqual(["success"]);
    expect((await c.runs(crit.id)).map((r) => r.factoryId)).toEqual([a.factoryId]);
    expect((await c.job(victimId)).attempt).toBe(1);
    const victimEvents = await c.events(victimId);
    const stoppedAt = victimEvents.findIndex(
      (e) =>
        e.type === "lease.lost" || (e.type === "job.stage" && e.data.from === "building" && e.data.to === "queued"),
    );
    expect(stoppedAt, "the victim lost its first lease").toBeGreaterThan(0);
    const kept = victimEvents
      .slice(0, stoppedAt)
      .filter((e) => e.type === "checkpoint")
      .pop()?.data.sha as string;
    expect(kept).toMatch(/^[0-9a-f]{7,}$/);
    const resumedLog = logText(victimEvents.slice(stoppedAt));
    expect(resumedLog).toMatch(new RegExp(`resumed from checkpoint ${kept.slice(0, 12)}`));
    expect(resumedLog).toMatch(/sample engine: resuming from an earlier run's work/);
    const seenPreempted = watch.preempted.get(victimId);
    if (seenPreempted) expect(seenPreempted.preemptedBy).toBe(crit.id);

    // ---- while waiting, every job always said why.
    expect(watch.sawCode(root.id, "children_running"), JSON.stringify(watch.codes.get(root.id))).toBe(true);
    expect(watch.sawCode(notes.id, "deps_unmet"), JSON.stringify(watch.codes.get(notes.id))).toBe(true);
    expect(watch.violations).toEqual([]);
    expect(watch.polls).toBeGreaterThan(10);
  });
});
