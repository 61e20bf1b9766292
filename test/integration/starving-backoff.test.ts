// A job queued again after a failure of its own waits out its retry backoff (`notBefore`) before it may run: that
// is not starving for a factory. The health pass measures its `starving` from when the backoff ends — no alert (and
// no webhook) while it may not run yet, one once it has waited past the threshold after that — while a job whose
// requeue did not end its wait (alerts.test.ts) still measures from when its wait began. An operator's requeue of a
// job in backoff ends the backoff then: the backoff it sat out counts neither as starving nor as dispatch latency.
// The product's `stalled` measures the same way: a product whose only queued job waits out its backoff is not
// stalled however long ago it failed (GET …/health counts it `inBackoff`, no `oldestQueuedAt`), and it is stalled
// 2 × expectedFinishIntervalMinutes after the backoff ended with nothing finished — not a minute before —, the pass
// noting that very instant for the alarm.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, alertsOf, api, claim, enroll, getJob, P, submit } from "./client.ts";

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const starving = async (product: string) => (await alertsOf(product, "open")).filter((a) => a.kind === "starving");

/** Moves the job's queue time and backoff end (row and document alike) by `shiftMs` (state surgery, not sleeping). */
async function shift(product: string, jobId: string, shiftMs: number): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec(
      `UPDATE jobs SET queued_at = queued_at + ?1, not_before = not_before + ?1,
         doc = json_set(doc, '$.queuedAt', queued_at + ?1, '$.notBefore', json_extract(doc, '$.notBefore') + ?1)
       WHERE id = ?2`,
      shiftMs,
      jobId,
    );
  });
}

/** A job that failed once, queued again for a 120 min backoff by a factory (`a`, which stays enrolled). */
async function inBackoff(product: string, health: Record<string, number> = { starvingAfterMinutes: 60 }) {
  const settings = { retry: { baseSeconds: 7200, maxSeconds: 7200, jitter: 0 }, health };
  expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
  const a = await enroll(product, "a");
  const job = await submit(product, { title: "fails once", maxAttempts: 3 });
  const c = await claim(product, a.token);
  expect(c.body.job.id).toBe(job.id);
  const failed = { outcome: "failure", retryable: true };
  const r = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
    token: a.token,
    json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: failed },
  });
  expect(r.status).toBe(200);
  const queued = await getJob(product, job.id);
  expect(queued.stage).toBe("queued");
  expect((queued.notBefore as number) - (queued.queuedAt as number)).toBe(120 * MIN);
  return { a, job };
}

describe("starving after a retry backoff", () => {
  it("is not raised while the job may not run yet, and is once it waited past the threshold after that", async () => {
    const product = "starve-backoff";
    const { job } = await inBackoff(product);

    // Failed 61 min ago: past the threshold since its requeue, but its backoff has 59 min to go.
    await shift(product, job.id, -61 * MIN);
    await env.COORDINATOR.getByName(product).sweep(product);
    expect(await starving(product)).toEqual([]);

    // Its backoff ended 61 min ago and no factory took it since (a's lease on it is gone): starving.
    await shift(product, job.id, -120 * MIN);
    await env.COORDINATOR.getByName(product).sweep(product);
    const now = await starving(product);
    expect(now).toHaveLength(1);
    expect(now[0]).toMatchObject({ subject: `job:${job.id}` });
    expect(now[0]?.message).toMatch(/has waited 61 min/);
  });

  it("an operator's requeue ends the backoff then: the backoff sat out is neither starving nor dispatch latency", async () => {
    const product = "starve-backoff-released";
    const { a, job } = await inBackoff(product);
    await shift(product, job.id, -61 * MIN); // failed 61 min ago, 59 min of backoff to go
    const released = await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN, json: {} });
    expect(released.status).toBe(200);
    await env.COORDINATOR.getByName(product).sweep(product);
    expect(await starving(product)).toEqual([]);

    const c = await claim(product, a.token);
    expect(c.body.job.id).toBe(job.id);
    const m = await api<{ dispatchLatencyMs: { count: number; sumMs: number } }>("GET", `${P(product)}/metrics`, {
      token: ADMIN,
    });
    expect(m.body.dispatchLatencyMs.count).toBe(2); // its first claim, and this one
    expect(m.body.dispatchLatencyMs.sumMs).toBeLessThan(60 * MIN); // not the 61 min since its requeue
  });
});

interface HealthView {
  status: string;
  queued: number;
  inBackoff: number;
  oldestQueuedAt: number | null;
}

/**
 * One health pass, its factories silent long since (down: no heartbeat threshold ahead to note), so the next instant
 * it notes is the queue's own.
 */
async function sweepAt(product: string): Promise<{ nextAt?: number }> {
  await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    state.storage.sql.exec("UPDATE factories SET doc = json_set(doc, '$.lastHeartbeatAt', ?)", Date.now() - DAY);
  });
  const r = await env.COORDINATOR.getByName(product).sweep(product);
  if (!("health" in r)) throw new Error(`sweep failed: ${JSON.stringify(r)}`);
  return r.health;
}

describe("stalled after a retry backoff", () => {
  const stalledAlert = async (product: string) => (await alertsOf(product, "open")).filter((a) => a.kind === "stalled");
  const health = async (product: string) =>
    (await api<HealthView>("GET", `${P(product)}/health`, { token: ADMIN })).body;

  it("is not while the only queued job waits out its backoff, and is 2 × the interval after it ended", async () => {
    const product = "stall-backoff";
    // Stalled after 2 × 30 min; starving far off, so only the product's rule is at work here.
    const { job } = await inBackoff(product, { starvingAfterMinutes: 600, expectedFinishIntervalMinutes: 30 });

    // Failed 61 min ago, nothing ever finished: by its requeue it would be "late", but it may not run for 59 min.
    await shift(product, job.id, -61 * MIN);
    const ends = (await getJob(product, job.id)).notBefore as number;
    const pass = await sweepAt(product);
    expect(await stalledAlert(product)).toEqual([]);
    // The pass notes the stall's own instant for the alarm: 2 × 30 min after the backoff ends.
    expect(pass.nextAt).toBe(ends + 60 * MIN);
    expect(await health(product)).toMatchObject({ queued: 1, inBackoff: 1, oldestQueuedAt: null });
    expect((await health(product)).status).not.toBe("stalled");

    // Its backoff ended 59 min ago: it waits now, and is not late yet.
    await shift(product, job.id, -118 * MIN);
    await env.COORDINATOR.getByName(product).sweep(product);
    expect(await stalledAlert(product)).toEqual([]);
    const waiting = await health(product);
    expect(waiting).toMatchObject({ queued: 1, inBackoff: 0 });
    expect(waiting.status).not.toBe("stalled");
    const ended = (await getJob(product, job.id)).notBefore as number;
    expect(waiting.oldestQueuedAt).toBe(ended); // its wait began when the backoff ended

    // Ended 61 min ago, nothing finished since: stalled, saying how many wait.
    await shift(product, job.id, -2 * MIN);
    await env.COORDINATOR.getByName(product).sweep(product);
    const open = await stalledAlert(product);
    expect(open).toHaveLength(1);
    expect(open[0]?.message).toMatch(/while 1 job waits/);
    expect((await health(product)).status).toBe("stalled");
  });
});
