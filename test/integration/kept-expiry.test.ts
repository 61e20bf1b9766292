// A refusal that found its lease lapsed keeps the expiry (dispatch/lease-ops FENCE, runtime/kept-refusal `KeptRefusal`): with
// the alarm held, the lapsed holder's HTTP call and WebSocket frame are still refused 409 `fenced` with the answer
// they always had, and the job is requeued at once — epoch + 1, the run closed `timeout`, one `lease.lost` (expired)
// event, one expiry on the factory's record and in the metric — as the alarm would have done it; the alarm run after
// finds nothing more to do. A fenced report that carries spend is charged once and keeps the expiry too. The kept
// expiry re-checks (the alarm first, or a new holder: nothing) and runs at the refused unit's `now`.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { expireDue, expireLapsed } from "../../src/durable-objects/coordinator/dispatch/lease-ops.ts";
import { KeptRefusal } from "../../src/durable-objects/coordinator/runtime/kept-refusal.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { BudgetView } from "../../src/shared/api-budget.ts";
import { inOneBudgetPeriod } from "../support/budget-period-run.ts";
import { ADMIN, api, claim, enroll, eventsOf, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory } from "./sockets.ts";
import { holdAlarm, lapseLease } from "./state.ts";

const coordinator = (product: string) => env.COORDINATOR.getByName(product);

/** What the coordinator holds of the expiry: the job's row, its runs, the factory's expiry record, the metric. */
async function expiryState(product: string, jobId: string, factoryId: string) {
  return runInDurableObject(coordinator(product), (_i, state) => {
    const sql = state.storage.sql;
    const job = sql
      .exec<{ stage: string; epoch: number }>("SELECT stage, lease_epoch AS epoch FROM jobs WHERE id = ?", jobId)
      .one();
    const runs = sql
      .exec<{ epoch: number; outcome: string | null }>(
        "SELECT lease_epoch AS epoch, outcome FROM runs WHERE job_id = ? ORDER BY lease_epoch",
        jobId,
      )
      .toArray();
    const doc = sql.exec<{ doc: string }>("SELECT doc FROM factories WHERE id = ?", factoryId).one().doc;
    const factoryExpiries = (JSON.parse(doc) as { leaseExpiries?: number[] }).leaseExpiries?.length ?? 0;
    const metric =
      sql.exec<{ value: number }>("SELECT value FROM metric_counters WHERE name = 'lease_expiries'").toArray()[0]
        ?.value ?? 0;
    const excluded = sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM exclusions WHERE job_id = ? AND factory_id = ?", jobId, factoryId)
      .one().n;
    return { ...job, runs, factoryExpiries, metric, excluded };
  });
}

/** The one expiry, kept: what the alarm's would have left (requeued at epoch 2, excluded, counted once). */
const ONCE_EXPIRED = {
  stage: "queued",
  epoch: 2,
  runs: [{ epoch: 1, outcome: "timeout" }],
  factoryExpiries: 1,
  metric: 1,
  excluded: 1,
};

/** Let the alarm run again (released and run now): it must find nothing more; then the delivered expiry events. */
async function alarmThenExpiryEvents(product: string, jobId: string, release: () => Promise<void>) {
  await release();
  await runDurableObjectAlarm(coordinator(product));
  const events = await until(
    () => eventsOf(product, jobId, 1),
    (es) => es.some((e) => e.type === "lease.lost"),
  );
  return events.filter((e) => e.type === "lease.lost");
}

describe("a refusal that found the lease lapsed", () => {
  it("over HTTP: the renew is refused 409 fenced as before, and the job is requeued at once, once", async () => {
    const product = "kept-expiry-http";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x", maxAttempts: 3 });
    expect((await claim(product, f.token)).body.lease.leaseEpoch).toBe(1);
    const release = await holdAlarm(product);
    await lapseLease(product, job.id);
    const late = await api("POST", `${P(product)}/jobs/${job.id}/lease/renew`, {
      token: f.token,
      json: { leaseEpoch: 1 },
    });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({
      code: "fenced",
      status: 409,
      jobId: job.id,
      given: 1,
      current: 2,
      detail: `lease epoch 1 of job ${job.id} is stale (current epoch 2)`,
    });
    expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED); // the alarm is still held
    // Refused again (its agent resends): the same answer, and nothing more expires.
    const again = await api("POST", `${P(product)}/jobs/${job.id}/lease/renew`, {
      token: f.token,
      json: { leaseEpoch: 1 },
    });
    expect(again.body).toMatchObject({ code: "fenced", given: 1, current: 2, stage: "queued" });
    const lost = await alarmThenExpiryEvents(product, job.id, release);
    expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.data).toMatchObject({ factoryId: f.factoryId, leaseEpoch: 1, why: "expired" });
  });

  it("over a WebSocket frame: refused fenced, the job requeued before the answer, the alarm finding nothing after", async () => {
    const product = "kept-expiry-frame";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x", maxAttempts: 3 });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    expect(a.leaseEpoch).toBe(1);
    const release = await holdAlarm(product);
    await lapseLease(product, job.id);
    socket.send({ type: "progress", id: "p", jobId: job.id, leaseEpoch: 1, stage: "building" });
    expect(await socket.answer("p")).toMatchObject({
      type: "error",
      code: "fenced",
      message: `lease epoch 1 of job ${job.id} is stale (current epoch 2)`,
    });
    expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED);
    const lost = await alarmThenExpiryEvents(product, job.id, release);
    expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED);
    expect(lost).toHaveLength(1);
    socket.close();
  });

  it("a fenced report carrying spend: charged once, and the job requeued at once", () =>
    inOneBudgetPeriod(async (run) => {
      const product = run.product("kept-expiry-spend");
      const ceiling = await api("PUT", `${P(product)}/budget`, {
        token: ADMIN,
        json: { period: "day", ceilingUsd: 100, onExhausted: "pause" },
      });
      expect(ceiling.status).toBe(200);
      const f = await enroll(product, "f");
      const job = await submit(product, { title: "x", maxAttempts: 3, budget: { usd: 50 } });
      await claim(product, f.token);
      const path = `${P(product)}/jobs/${job.id}`;
      const early = await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, insights: { costUsd: 1 } } });
      expect(early.status).toBe(200);
      const release = await holdAlarm(product);
      await lapseLease(product, job.id);
      const last = { leaseEpoch: 1, stage: "failed", result: { outcome: "failure" }, insights: { costUsd: 4 } };
      const late = await api("PATCH", path, { token: f.token, json: last });
      expect(late.status).toBe(409);
      expect(late.body).toMatchObject({ code: "fenced", given: 1, current: 2, stage: "queued" });
      const spent = async () => (await api<BudgetView>("GET", `${P(product)}/budget`, { token: ADMIN })).body.spentUsd;
      expect(await spent()).toBe(4);
      expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED);
      expect((await api("PATCH", path, { token: f.token, json: last })).body).toMatchObject({ code: "fenced" });
      await alarmThenExpiryEvents(product, job.id, release);
      expect(await spent()).toBe(4);
      expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED);
      expect((await getJob(product, job.id)).stage).toBe("queued");
    }));
});

describe("the kept expiry", () => {
  it("re-checks: after the alarm's expiry, or under a new holder's lease, keeping it again does nothing", async () => {
    const product = "kept-expiry-recheck";
    const f = await enroll(product, "f");
    const g = await enroll(product, "g");
    const job = await submit(product, { title: "x", maxAttempts: 3 });
    await claim(product, f.token);
    const release = await holdAlarm(product);
    await lapseLease(product, job.id);
    const units = (instance: unknown) => (instance as { units: Units }).units;
    await runInDurableObject(coordinator(product), (instance) => {
      units(instance).transact((tx) => expireDue(tx)); // the alarm's pass got there first
      units(instance).transact((tx) => expireLapsed(tx, job.id, 1));
    });
    expect(await expiryState(product, job.id, f.factoryId)).toEqual(ONCE_EXPIRED);
    expect((await claim(product, g.token)).body.lease.leaseEpoch).toBe(3);
    await lapseLease(product, job.id); // g's lease (epoch 3) lapsed too: not the one the refusal found lapsed
    await runInDurableObject(coordinator(product), (instance) => {
      units(instance).transact((tx) => expireLapsed(tx, job.id, 1));
    });
    expect(await getJob(product, job.id)).toMatchObject({ stage: "assigned", leaseEpoch: 3 });
    await release();
  });

  it("is written at the refused unit's `now`, whatever the clock reads when it is kept", async () => {
    const product = "kept-expiry-now";
    await submit(product, { title: "binds the product" });
    const at = await runInDurableObject(coordinator(product), async (instance) => {
      const units = (instance as unknown as { units: Units }).units;
      const clock = Date.now;
      let refusedAt = 0;
      let keptAt = 0;
      try {
        await units.run(product, (tx) => {
          refusedAt = tx.now;
          Date.now = () => tx.now + 60_000; // the clock moves on before the keep runs
          throw new KeptRefusal(new DomainError("fenced", "refused"), [
            (t) => {
              keptAt = t.now;
            },
          ]);
        });
      } finally {
        Date.now = clock;
      }
      return { refusedAt, keptAt };
    });
    expect(at.keptAt).toBe(at.refusedAt);
  });
});
