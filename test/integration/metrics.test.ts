// GET …/metrics end to end in workerd: after real activity (submit, claim, complete, a failure that is retried, a
// lease that runs out and is expired by the cron sweep) the counters moved by exactly the right amounts — 3
// dispatches in the latency histogram, 1 retry, 1 lease expiry — and queue depth, seats and the per-factory success
// rate agree; dispatch latency counts from the later of queuedAt and notBefore; the same numbers come back as Prometheus text (parsed with a real parser) by ?format=prometheus and by
// Accept: text/plain;version=0.0.4; ?format wins over Accept, another value is a 400 problem; an answer chosen by
// Accept says `Vary: Accept` (a cache in front must not serve one format for the other); a viewer may read it,
// no token is a 401. A factory's success ratio counts by core/run-counts `countsAs`: cancelled, preempted, handed_back,
// fenced runs and a product budget's stop (budget_exceeded, retryable) are on neither side; an overrun of the job's own
// budget (budget_exceeded, not retryable or unsaid) is a failure, as track records count it.
import {
  createExecutionContext,
  createScheduledController,
  env,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import parse from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, claim, enroll, P, rawApi, submit } from "./client";
import { expireLeaseNow } from "./state";

const PRODUCT = "metrics-activity";

async function sweep(): Promise<void> {
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function backoffOver(jobId: string): Promise<void> {
  await runInDurableObject(env.COORDINATOR.getByName(PRODUCT), (_i, state) => {
    state.storage.sql.exec(
      "UPDATE jobs SET not_before = ?1, doc = json_set(doc, '$.notBefore', ?1) WHERE id = ?2",
      Date.now() - 1,
      jobId,
    );
  });
}

const metrics = (token = ADMIN, query = "", headers: Record<string, string> = {}) =>
  api<MetricsSnapshot>("GET", `${P(PRODUCT)}/metrics${query}`, { token, headers });

/** Runs the activity once per file (storage is per file); answers the factory's id. */
let activity: Promise<string> | undefined;
function runActivity(): Promise<string> {
  activity ??= (async () => {
    const f = await enroll(PRODUCT, "box-a", [], 2);
    const report = (id: string, json: Record<string, unknown>) =>
      api("PATCH", `${P(PRODUCT)}/jobs/${id}`, { token: f.token, json });
    // 1. submit → claim → complete (success).
    const ok = await submit(PRODUCT, { title: "ok" });
    const c1 = await claim(PRODUCT, f.token);
    expect(c1.body.job.id).toBe(ok.id);
    expect((await report(ok.id, { leaseEpoch: c1.body.lease.leaseEpoch, stage: "building" })).status).toBe(200);
    expect((await report(ok.id, { leaseEpoch: c1.body.lease.leaseEpoch, stage: "testing" })).status).toBe(200);
    // 2. a transient failure → queued again (one retry) → claimed again after its backoff.
    const flaky = await submit(PRODUCT, { title: "flaky", maxAttempts: 3 });
    const c2 = await claim(PRODUCT, f.token);
    const failed = await report(flaky.id, {
      leaseEpoch: c2.body.lease.leaseEpoch,
      stage: "failed",
      result: { outcome: "failure", rc: 1 },
    });
    expect(failed.body).toMatchObject({ stage: "queued" });
    await backoffOver(flaky.id);
    const c3 = await claim(PRODUCT, f.token);
    expect(c3.body.job.id).toBe(flaky.id);
    // 3. that lease runs out; the cron sweep expires it (requeued: attempts remain — not counted as a retry).
    await expireLeaseNow(PRODUCT, flaky.id);
    await env.DB.prepare("INSERT OR IGNORE INTO products(id, first_seen_at, last_seen_at) VALUES (?, 0, 0)")
      .bind(PRODUCT)
      .run();
    await sweep();
    return f.factoryId;
  })();
  return activity;
}

describe("GET …/metrics", () => {
  it("moves each counter by exactly what happened", async () => {
    const before = await metrics();
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ schema_version: 1, leaseExpiries: 0, retries: 0 });
    expect(before.body.dispatchLatencyMs.count).toBe(0);
    const factoryId = await runActivity();
    const r = await metrics();
    expect(r.status).toBe(200);
    const m = r.body;
    expect(m.schema_version).toBe(1);
    expect(m.generated_at).toBeGreaterThan(0);
    expect(m.dispatchLatencyMs.count).toBe(3);
    expect(m.dispatchLatencyMs.buckets.at(-1)).toEqual({ le: "+Inf", count: 3 });
    expect(m.dispatchLatencyMs.buckets).toHaveLength(12);
    expect(m.dispatchLatencyMs.sumMs).toBeGreaterThanOrEqual(0);
    expect(m.retries).toBe(1);
    expect(m.leaseExpiries).toBe(1);
    expect(m.queue.depthByStage).toMatchObject({ queued: 1, testing: 1, assigned: 0, building: 0 });
    expect(m.seats).toEqual({ busy: 0, total: 2, utilisation: 0, disconnected: 0, disconnectedFactories: 0 });
    // Runs ended: success, failure, timeout (the expired lease).
    expect(m.factories).toEqual([
      { id: factoryId, name: "box-a", runs: 3, successes: 1, successRate: expect.closeTo(1 / 3, 6) },
    ]);
    // The failure and the expiry count against this factory's default-engine breaker, still closed below the threshold.
    expect(m.breakers).toEqual([{ factoryId, engine: "*", state: "closed", consecutiveFailures: 2 }]);
    expect(m.openAlerts).toEqual({ info: 0, warning: 0, critical: 0 });
    // A second sweep finds nothing more to expire: the counter does not move.
    await sweep();
    expect((await metrics()).body.leaseExpiries).toBe(1);
  });

  it("counts runs as track records do: neutral ones on neither side, an overrun of the job's own budget a failure", async () => {
    const product = "metrics-neutral";
    const f = await enroll(product, "box-n");
    // [outcome, runs.retryable]: the product budget's stop-and-requeue is budget_exceeded with retryable 1.
    const runs: Array<[string, number | null]> = [
      ["success", null],
      ["failure", 0],
      ["timeout", null],
      ["rate_limited", 1],
      ["cancelled", null],
      ["preempted", 1],
      ["handed_back", 1],
      ["fenced", null],
      ["budget_exceeded", 1],
      ["budget_exceeded", 0],
      ["budget_exceeded", null],
    ];
    // One ended run each, written as finishRun leaves them (the ratio reads only these columns).
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      runs.forEach(([outcome, retryable], i) => {
        state.storage.sql.exec(
          `INSERT INTO runs(job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at, outcome, retryable, doc)
           VALUES (?, 1, ?, 1, NULL, ?, ?, ?, ?, '{}')`,
          `job_neutral_${i}`,
          f.factoryId,
          Date.now() - 2_000,
          Date.now() - 1_000,
          outcome,
          retryable,
        );
      });
    });
    const m = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    // success; failure, timeout, rate_limited and the two overruns; the product stop and the other four on neither side.
    expect(m.factories).toEqual([
      { id: f.factoryId, name: "box-n", runs: 6, successes: 1, successRate: expect.closeTo(1 / 6, 6) },
    ]);
  });

  it("measures dispatch latency from the later of queuedAt and notBefore to the grant", async () => {
    const product = "metrics-latency";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "late" });
    // Queued 60 s ago, but not allowed to run until 0.7 s ago: it has waited ~0.7 s for dispatch, not 60 s (the
    // margin is wide so that a slow claim on a loaded machine still tells the two apart).
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
      const now = Date.now();
      state.storage.sql.exec(
        `UPDATE jobs SET queued_at = ?1, not_before = ?2,
           doc = json_set(doc, '$.queuedAt', ?1, '$.notBefore', ?2) WHERE id = ?3`,
        now - 60_000,
        now - 700,
        job.id,
      );
    });
    expect((await claim(product, f.token)).status).toBe(200);
    const m = (await api<MetricsSnapshot>("GET", `${P(product)}/metrics`, { token: ADMIN })).body;
    expect(m.dispatchLatencyMs.count).toBe(1);
    expect(m.dispatchLatencyMs.sumMs).toBeGreaterThanOrEqual(700);
    expect(m.dispatchLatencyMs.sumMs).toBeLessThan(60_000);
    const counts = Object.fromEntries(m.dispatchLatencyMs.buckets.map((b) => [String(b.le), b.count]));
    expect(counts["500"]).toBe(0);
    expect(counts["10000"]).toBe(1);
  });

  it("answers Prometheus text by ?format=prometheus and by Accept, with the same numbers", async () => {
    await runActivity();
    const json = (await metrics()).body;
    for (const r of [
      await metrics(ADMIN, "?format=prometheus"),
      await metrics(ADMIN, "", { accept: "text/plain;version=0.0.4;q=0.5,*/*;q=0.1" }),
    ]) {
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const families = parse(r.body as unknown as string);
      const sample = (name: string, labels: Record<string, string> = {}) =>
        Number(
          families
            .find((f) => f.name === name)
            ?.metrics.find((m) =>
              Object.entries({ product: PRODUCT, ...labels }).every(([k, v]) => m.labels?.[k] === v),
            )?.value,
        );
      expect(sample("gigafactory_lease_expiries_total")).toBe(json.leaseExpiries);
      expect(sample("gigafactory_retries_total")).toBe(json.retries);
      expect(sample("gigafactory_queue_depth", { stage: "queued" })).toBe(1);
      expect(sample("gigafactory_seats_total")).toBe(2);
      const latency = families.find((f) => f.name === "gigafactory_dispatch_latency_ms");
      expect(latency?.type).toBe("HISTOGRAM");
      expect(Number(latency?.metrics[0]?.buckets?.["+Inf"])).toBe(3);
    }
  });

  it("lets ?format win over Accept, and refuses any other format with a 400 problem", async () => {
    const forced = await metrics(ADMIN, "?format=json", { accept: "text/plain;version=0.0.4" });
    expect(forced.headers.get("content-type")).toContain("application/json");
    expect(forced.body.schema_version).toBe(1);
    expect((await metrics(ADMIN, "", { accept: "application/json" })).body.schema_version).toBe(1);
    const bad = await metrics(ADMIN, "?format=xml");
    expect(bad.status).toBe(400);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect(bad.body).toMatchObject({ code: "validation_failed" });
    expect((await metrics(ADMIN, "?verbose=1")).status).toBe(400);
  });

  it("says an answer chosen by Accept varies by Accept, beside the Origin CORS adds", async () => {
    const vary = (r: { headers: Headers }) => (r.headers.get("vary") ?? "").split(/\s*,\s*/).sort();
    expect(vary(await metrics(ADMIN, "", { accept: "text/plain;version=0.0.4" }))).toEqual(["Accept", "Origin"]);
    expect(vary(await metrics(ADMIN, "", { accept: "application/json" }))).toEqual(["Accept", "Origin"]);
    expect(vary(await metrics(ADMIN, "?format=json"))).toEqual(["Origin"]); // the URL alone decides
  });

  it("is readable by a viewer, not without a token", async () => {
    const minted = await api<{ token: string }>("POST", `${P(PRODUCT)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "dash" },
    });
    expect(minted.status).toBe(201);
    expect((await metrics(minted.body.token)).status).toBe(200);
    expect((await rawApi("GET", `${P(PRODUCT)}/metrics`)).status).toBe(401);
  });
});
