// Circuit breakers per factory × engine in workerd (issue 9 part 3): five consecutive failures open a factory's
// breaker for the engine, and the next job goes to the other factory (overflow: route) or waits with waitingReason
// breaker_open (overflow: hold); `GET …/factories` and `GET …/breakers` show the breaker and explain names it as a
// filter reason of its own factory only (under hold a capable factory's reason is overflow_hold, an incapable one's
// only its missing capability); after the cool-down (the stored open-until set back, no sleeping) it is half-open
// and lets exactly one trial through (one of five concurrent claims), closes on its success and re-opens with a
// doubled cool-down on its failure; an engine's
// `rate_limited` report opens it for retryAfterSeconds and requeues the job without counting the attempt, but never
// shortens an open breaker's cool-down; only the trial's own end frees the trial slot (a run from before the trip
// that is cancelled does not let a second trial out; the trial's cancel or lease expiry does); a deregistered or
// revoked factory's breakers are forgotten and its alerts (breakers, quarantine, down) resolved in that unit.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { nextDueAt } from "../../src/durable-objects/coordinator/runtime/alarm.ts";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import { ADMIN, api, claim, enroll, getJob, type JobView, P, submit } from "./client";
import { connectFactory } from "./sockets";
import { expireLeaseNow } from "./state";

type BreakerJson = { engine: string; state: string; consecutiveFailures: number; openUntil?: number };
type FactoryJson = { id: string; status: string; breakers: BreakerJson[] };

const CLAUDE = ["engine:claude"];

const report = (product: string, token: string, jobId: string, epoch: number, json: Record<string, unknown>) =>
  api<JobView>("PATCH", `${P(product)}/jobs/${jobId}`, { token, json: { leaseEpoch: epoch, ...json } });

/** `f` claims and fails `n` new jobs of `engine` (null: none named) (permanent failures: no retry gets in the way). */
async function failJobs(product: string, token: string, n: number, engine: string | null = "claude") {
  for (let i = 0; i < n; i++) {
    const job = await submit(product, { title: `doomed ${i}`, ...(engine ? { engine } : {}) });
    const c = await claim(product, token);
    expect(c.body.job.id).toBe(job.id);
    const r = await report(product, token, job.id, c.body.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "failure", rc: 1, retryable: false },
    });
    expect(r.status).toBe(200);
  }
}

async function breakersOf(product: string, factoryId: string): Promise<BreakerJson[]> {
  const r = await api<{ factories: FactoryJson[] }>("GET", `${P(product)}/factories`, { token: ADMIN });
  return r.body.factories.find((f) => f.id === factoryId)?.breakers ?? [];
}

type AlertJson = { kind: string; subject: string; state: string };
/** The alerts not resolved (open or acknowledged). */
async function liveAlerts(product: string): Promise<AlertJson[]> {
  const r = await api<{ alerts: AlertJson[] }>("GET", `${P(product)}/alerts`, { token: ADMIN });
  return r.body.alerts.filter((a) => a.state !== "resolved");
}

/** The stored trial of `factoryId`'s breaker(s): `jobId@epoch`, or null. */
async function trialsOf(product: string, factoryId: string): Promise<Array<string | null>> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) =>
    state.storage.sql
      .exec<{ t: string | null }>(
        "SELECT trial_job_id || '@' || trial_epoch AS t FROM breakers WHERE factory_id = ? ORDER BY engine",
        factoryId,
      )
      .toArray()
      .map((r) => r.t),
  );
}

/** The cool-down is over: the stored open-until is set back (time as a parameter). */
async function coolDownOver(product: string, factoryId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec("UPDATE breakers SET open_until = ? WHERE factory_id = ?", Date.now() - 1, factoryId);
  });
}

describe("circuit breakers", () => {
  it("5 consecutive failures open the breaker; overflow route sends the next job to the other factory", async () => {
    const product = "breaker-route";
    const f1 = await enroll(product, "f1", CLAUDE);
    const f2 = await enroll(product, "f2", CLAUDE);
    await failJobs(product, f1.token, 4);
    expect((await breakersOf(product, f1.factoryId))[0]).toMatchObject({ state: "closed", consecutiveFailures: 4 });
    await failJobs(product, f1.token, 1);
    const [open] = await breakersOf(product, f1.factoryId);
    expect(open).toMatchObject({ engine: "claude", state: "open", consecutiveFailures: 5 });
    expect(open?.openUntil).toBeGreaterThan(Date.now() + 50_000); // 60 s default cool-down
    const listed = await api<{ breakers: Array<BreakerJson & { factoryId: string }> }>(
      "GET",
      `${P(product)}/breakers`,
      {
        token: ADMIN,
      },
    );
    expect(listed.body.breakers).toEqual([{ ...open, factoryId: f1.factoryId }]);

    const next = await submit(product, { title: "after the trip", engine: "claude" });
    const why = await api<{ rejected: Array<{ factoryId: string; reasons: string[] }> }>(
      "GET",
      `${P(product)}/jobs/${next.id}/explain`,
      { token: ADMIN },
    );
    expect(why.body.rejected.find((c) => c.factoryId === f1.factoryId)?.reasons).toEqual(["breaker_open:claude"]);
    expect((await claim(product, f1.token)).status).toBe(204);
    const c2 = await claim(product, f2.token);
    expect(c2.body.job.id).toBe(next.id);
    // A job of another engine is not kept off f1.
    const other = await submit(product, { title: "codex work" });
    expect((await claim(product, f1.token)).body.job.id).toBe(other.id);
    // A deregistered factory's breakers go with it.
    expect((await api("DELETE", `${P(product)}/factories/${f1.factoryId}`, { token: ADMIN })).status).toBe(200);
    const after = await api<{ breakers: unknown[] }>("GET", `${P(product)}/breakers`, { token: ADMIN });
    expect(after.body.breakers).toEqual([]);
  });

  it("overflow hold keeps the job off every factory while a breaker of its engine is open (breaker_open)", async () => {
    const product = "breaker-hold";
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { overflow: "hold" } })).status).toBe(
      200,
    );
    const f1 = await enroll(product, "f1", CLAUDE);
    const f2 = await enroll(product, "f2", CLAUDE);
    await enroll(product, "f3", ["gpu"]);
    await failJobs(product, f1.token, 5);
    const { socket } = await connectFactory(product, f2.token, { capabilities: CLAUDE });
    const held = await submit(product, { title: "held", engine: "claude" });
    const job = await api<JobView & { waitingReason: { code: string } | null }>(
      "GET",
      `${P(product)}/jobs/${held.id}`,
      {
        token: ADMIN,
      },
    );
    expect(job.body.stage).toBe("queued");
    expect(job.body.waitingReason?.code).toBe("breaker_open");
    expect(socket.frames.filter((f) => f.type === "assign")).toEqual([]);
    // explain gives each factory its own reason: f1 its breaker, f2 the hold policy (f1's breaker, not its own),
    // and a factory that cannot run claude at all only that (it used to be blamed with breaker_open:claude).
    const why = await api<{ rejected: Array<{ factoryName: string; reasons: string[] }> }>(
      "GET",
      `${P(product)}/jobs/${held.id}/explain`,
      { token: ADMIN },
    );
    // Health aside (f1 and f3 hold no socket: whether they count as down is not what this is about).
    const reasons = Object.fromEntries(
      why.body.rejected.map((c) => [c.factoryName, c.reasons.filter((r) => r !== "factory_down")]),
    );
    expect(reasons).toEqual({
      f1: ["breaker_open:claude"],
      f2: ["overflow_hold:claude"],
      f3: ["missing_capability:engine:claude"],
    });
    // The alarm wakes when the breaker half-opens; when it fires, its dispatch pass lets the held job go.
    const [open] = await breakersOf(product, f1.factoryId);
    const stub = env.COORDINATOR.getByName(product);
    // Nothing else is due (no lease, no backoff, outbox left out): the next due instant is the half-open one.
    const due = await runInDurableObject(stub, (_i, state) => nextDueAt(state.storage.sql, Date.now(), undefined));
    expect(due).toBe(open?.openUntil);
    await coolDownOver(product, f1.factoryId);
    await runInDurableObject(stub, (_i, state) => state.storage.setAlarm(Date.now()));
    await runDurableObjectAlarm(stub);
    const assign = await socket.next<{ assignments: Array<{ job: { id: string } }> }>("assign");
    expect(assign.assignments[0]?.job.id).toBe(held.id);
    socket.close();
  });

  it("half-open admits one trial: success closes; a failed trial re-opens with the cool-down doubled", async () => {
    const product = "breaker-half-open";
    const f1 = await enroll(product, "f1", CLAUDE, 3);
    await failJobs(product, f1.token, 5);
    await coolDownOver(product, f1.factoryId);
    expect((await breakersOf(product, f1.factoryId))[0]?.state).toBe("half_open");
    const a = await submit(product, { title: "trial", engine: "claude" });
    const b = await submit(product, { title: "second", engine: "claude" });
    const trial = await claim(product, f1.token);
    expect(trial.body.job.id).toBe(a.id);
    expect((await claim(product, f1.token)).status).toBe(204); // the one trial is out
    // The trial fails: open again for 2 × 60 s.
    const before = Date.now();
    await report(product, f1.token, a.id, trial.body.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "failure", retryable: false },
    });
    const [reopened] = await breakersOf(product, f1.factoryId);
    expect(reopened?.state).toBe("open");
    expect(reopened?.openUntil).toBeGreaterThanOrEqual(before + 120_000);
    expect(reopened?.openUntil).toBeLessThan(Date.now() + 121_000);
    // Next trial succeeds: closed, counters reset (no breaker listed any more).
    await coolDownOver(product, f1.factoryId);
    const again = await claim(product, f1.token);
    expect(again.body.job.id).toBe(b.id);
    await report(product, f1.token, b.id, again.body.lease.leaseEpoch, { stage: "building" });
    const ok = await report(product, f1.token, b.id, again.body.lease.leaseEpoch, {
      stage: "testing",
      result: { outcome: "success", rc: 0 },
    });
    expect(ok.body.stage).toBe("testing");
    expect(await breakersOf(product, f1.factoryId)).toEqual([]);
  });

  it("concurrent claims on a half-open breaker: exactly one gets a job (the trial), the rest none", async () => {
    const product = "breaker-concurrent-trial";
    const f1 = await enroll(product, "f1", CLAUDE, 5);
    await failJobs(product, f1.token, 5);
    for (let i = 0; i < 5; i++) await submit(product, { title: `held ${i}`, engine: "claude" });
    await coolDownOver(product, f1.factoryId);
    const answers = await Promise.all(Array.from({ length: 5 }, () => claim(product, f1.token)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 204, 204, 204, 204]);
    const trial = answers.find((a) => a.status === 200)?.body;
    expect(await trialsOf(product, f1.factoryId)).toEqual([`${trial?.job.id}@${trial?.lease.leaseEpoch}`]);
  });

  it("push dispatch sends a half-open breaker one trial even with several seats and jobs free", async () => {
    const product = "breaker-push-trial";
    const f1 = await enroll(product, "f1", CLAUDE, 3);
    await failJobs(product, f1.token, 5);
    const queued = [];
    for (let i = 0; i < 3; i++) queued.push(await submit(product, { title: `held ${i}`, engine: "claude" }));
    await coolDownOver(product, f1.factoryId);
    const { socket } = await connectFactory(product, f1.token, { capabilities: CLAUDE, seats: 3 });
    const assign = await socket.next<{ assignments: Array<{ job: { id: string } }> }>("assign");
    expect(assign.assignments.map((a) => a.job.id)).toEqual([queued[0]?.id]);
    // Another pass (a new job) still sends nothing while the trial is out.
    await submit(product, { title: "one more", engine: "claude" });
    const explained = await api<{ rejected: Array<{ factoryId: string; reasons: string[] }> }>(
      "GET",
      `${P(product)}/jobs/${queued[1]?.id}/explain`,
      { token: ADMIN },
    );
    expect(explained.body.rejected[0]?.reasons).toEqual(["breaker_open:claude"]);
    expect(socket.frames.filter((f) => f.type === "assign")).toEqual([]);
    socket.close();
  });

  it("rate_limited opens the breaker for retryAfterSeconds and requeues the job without counting the attempt", async () => {
    const product = "breaker-rate-limit";
    const f1 = await enroll(product, "f1", CLAUDE);
    const f2 = await enroll(product, "f2", CLAUDE);
    const job = await submit(product, { title: "throttled" }); // names no engine: the default one's breaker (*)
    const c = await claim(product, f1.token);
    expect(c.body.job.attempt).toBe(1);
    const before = Date.now();
    const r = await report(product, f1.token, job.id, c.body.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "rate_limited", retryAfterSeconds: 30, message: "429" },
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ stage: "queued", attempt: 0 });
    const [open] = await breakersOf(product, f1.factoryId);
    expect(open).toMatchObject({ engine: "*", state: "open", consecutiveFailures: 0 });
    expect(open?.openUntil).toBeGreaterThanOrEqual(before + 30_000);
    expect(open?.openUntil).toBeLessThanOrEqual(Date.now() + 30_000);
    expect((await claim(product, f1.token)).status).toBe(204);
    const moved = await claim(product, f2.token);
    expect(moved.body.job).toMatchObject({ id: job.id, attempt: 1 });
    expect((await getJob(product, job.id)).holderFactoryId).toBe(f2.factoryId);
  });

  it("refuses a rate_limited report with a retryAfterSeconds out of range (400, nothing changes)", async () => {
    const product = "breaker-rate-limit-bad";
    const f1 = await enroll(product, "f1");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f1.token);
    const r = await report(product, f1.token, job.id, c.body.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "rate_limited", retryAfterSeconds: -5 },
    });
    expect(r.status).toBe(400);
    expect((await getJob(product, job.id)).stage).toBe("assigned");
  });

  it("half-open: a run from before the trip cancelled leaves the trial out; the trial's own cancel frees it", async () => {
    const product = "breaker-trial-identity";
    await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker: { failureThreshold: 1 } } });
    const f = await enroll(product, "f", CLAUDE, 3);
    const a = await submit(product, { title: "long, from before the trip", engine: "claude" });
    expect((await claim(product, f.token, 300)).body.job.id).toBe(a.id);
    await failJobs(product, f.token, 1); // open
    await coolDownOver(product, f.factoryId);
    const c = await submit(product, { title: "the trial", engine: "claude" });
    const trial = await claim(product, f.token, 300);
    expect(trial.body.job.id).toBe(c.id);
    expect(await trialsOf(product, f.factoryId)).toEqual([`${c.id}@${trial.body.lease.leaseEpoch}`]);
    const d = await submit(product, { title: "waits for the trial", engine: "claude" });
    expect((await claim(product, f.token, 300)).status).toBe(204);
    // A's run ends neutral (an operator's cancel): the trial C is still out, so D still waits.
    expect((await api("POST", `${P(product)}/jobs/${a.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    expect((await claim(product, f.token, 300)).status).toBe(204);
    expect((await breakersOf(product, f.factoryId))[0]?.state).toBe("half_open");
    // The trial itself cancelled: its slot is free, and D is the next trial.
    await api("POST", `${P(product)}/jobs/${c.id}/actions/cancel`, { token: ADMIN, json: {} });
    const next = await claim(product, f.token, 300);
    expect(next.body.job.id).toBe(d.id);
    expect(await trialsOf(product, f.factoryId)).toEqual([`${d.id}@${next.body.lease.leaseEpoch}`]);
  });

  it("the trial's lease expiring ends the trial as a failure: open again, cool-down doubled, slot free", async () => {
    const product = "breaker-trial-expiry";
    await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker: { failureThreshold: 1 } } });
    const f = await enroll(product, "f", CLAUDE, 2);
    await failJobs(product, f.token, 1);
    await coolDownOver(product, f.factoryId);
    const c = await submit(product, { title: "the trial", engine: "claude" });
    expect((await claim(product, f.token)).body.job.id).toBe(c.id);
    await expireLeaseNow(product, c.id);
    const before = Date.now();
    expect((await claim(product, f.token)).status).toBe(204); // the claim expires the lease first
    const [reopened] = await breakersOf(product, f.factoryId);
    expect(reopened?.state).toBe("open");
    expect(reopened?.openUntil).toBeGreaterThanOrEqual(before + 120_000);
    expect(await trialsOf(product, f.factoryId)).toEqual([null]);
  });

  it("a rate limit never shortens an open cool-down; one with no wait opens a closed breaker for the base cool-down", async () => {
    const product = "breaker-rate-limit-late";
    const breaker = { failureThreshold: 1, coolDownSeconds: 600, maxCoolDownSeconds: 3600 };
    await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker } });
    const f = await enroll(product, "f", CLAUDE, 3);
    const stale = [];
    for (let i = 0; i < 2; i++) {
      const job = await submit(product, { title: `running ${i}`, engine: "claude" });
      stale.push({ job, lease: (await claim(product, f.token, 300)).body.lease });
    }
    await failJobs(product, f.token, 1);
    const [open] = await breakersOf(product, f.factoryId);
    expect(open?.openUntil).toBeGreaterThan(Date.now() + 590_000);
    // Runs from before the trip report rate limits: 5 s would end the 600 s cool-down early, no wait given means the
    // base cool-down (600 s from now): the breaker stays open at least as long as it was.
    for (const [i, retryAfterSeconds] of [5, 0].entries()) {
      const { job, lease } = stale[i]!;
      const r = await report(product, f.token, job.id, lease.leaseEpoch, {
        stage: "failed",
        result: { outcome: "rate_limited", retryAfterSeconds },
      });
      expect(r.body.stage).toBe("queued");
      const [now] = await breakersOf(product, f.factoryId);
      expect(now?.state).toBe("open");
      if (retryAfterSeconds === 5) expect(now).toEqual(open);
      else expect(now?.openUntil).toBeGreaterThanOrEqual(open?.openUntil ?? Infinity);
    }
    // Another engine, closed: a rate limit that names no wait holds it for the base cool-down, not 0 s.
    const job = await submit(product, { title: "no engine named" });
    const c = await claim(product, f.token, 300);
    expect(c.body.job.id).toBe(job.id);
    const before = Date.now();
    await report(product, f.token, job.id, c.body.lease.leaseEpoch, {
      stage: "failed",
      result: { outcome: "rate_limited", retryAfterSeconds: 0 },
    });
    const star = (await breakersOf(product, f.factoryId)).find((b) => b.engine === "*");
    expect(star?.state).toBe("open");
    expect(star?.openUntil).toBeGreaterThanOrEqual(before + 600_000);
  });

  for (const how of ["deregistered", "revoked"] as const) {
    it(`a ${how} factory's breaker_open, factory_quarantined and factory_down alerts are resolved in that unit; health is not held degraded`, async () => {
      const product = `breaker-gone-${how}`;
      const settings = { breaker: { failureThreshold: 1 }, errorBudget: { maxFailures: 1, windowMinutes: 60 } };
      await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings });
      const f = await enroll(product, "f", CLAUDE, 2);
      await failJobs(product, f.token, 1); // claude's breaker opens
      await failJobs(product, f.token, 1, null); // * opens; 2 failures > 1: quarantined
      // Then it falls silent: a health pass finds it down (its last beat 61 s ago).
      const stub = env.COORDINATOR.getByName(product);
      await runInDurableObject(stub, (_i, state) => {
        const beat = Date.now() - 61_000;
        state.storage.sql.exec(
          "UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?) WHERE id = ?",
          beat,
          f.factoryId,
        );
      });
      await stub.checkHealth(product);
      const mine = (a: AlertJson) => a.subject.includes(f.factoryId);
      expect(
        (await liveAlerts(product))
          .filter(mine)
          .map((a) => a.kind)
          .sort(),
      ).toEqual(["breaker_open", "breaker_open", "factory_down", "factory_quarantined"]);
      const gone =
        how === "deregistered"
          ? await api("DELETE", `${P(product)}/factories/${f.factoryId}`, { token: ADMIN })
          : await api("POST", `${P(product)}/factories/${f.factoryId}/token/revoke`, { token: ADMIN });
      expect(gone.status).toBe(200);
      expect((await liveAlerts(product)).filter(mine)).toEqual([]);
      const breakers = await api<{ breakers: unknown[] }>("GET", `${P(product)}/breakers`, { token: ADMIN });
      expect(breakers.body.breakers).toEqual([]);
      const health = await api<{ status: string }>("GET", `${P(product)}/health`, { token: ADMIN });
      expect(health.body.status).toBe("healthy");
    });
  }

  it("an older coordinator's breakers gain the trial's identity on load: the run still open, else none", async () => {
    const product = "breaker-trial-columns";
    await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: { breaker: { failureThreshold: 1 } } });
    const f = await enroll(product, "f", CLAUDE, 2);
    await failJobs(product, f.token, 1); // claude
    await failJobs(product, f.token, 1, null); // *
    await coolDownOver(product, f.factoryId);
    const c = await submit(product, { title: "the trial", engine: "claude" });
    const trial = await claim(product, f.token);
    expect(trial.body.job.id).toBe(c.id);
    const upgraded = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const sql = state.storage.sql;
      // The table as it was: a bare trial_out flag (the * breaker's trial long gone, its flag left set).
      sql.exec("ALTER TABLE breakers DROP COLUMN trial_job_id");
      sql.exec("ALTER TABLE breakers DROP COLUMN trial_epoch");
      sql.exec("UPDATE breakers SET trial_out = 1");
      applySchema(sql);
      return sql.exec("SELECT engine, trial_out, trial_job_id, trial_epoch FROM breakers ORDER BY engine").toArray();
    });
    expect(upgraded).toEqual([
      { engine: "*", trial_out: 0, trial_job_id: null, trial_epoch: null },
      { engine: "claude", trial_out: 1, trial_job_id: c.id, trial_epoch: trial.body.lease.leaseEpoch },
    ]);
  });
});
