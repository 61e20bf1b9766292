// Leases of one factory that lapse together go on its record in one write per unit (factories/registry
// `noteLeaseExpiry`, counted here by its statements): the alarm's sweep (dispatch/lease-ops `expireDue`) of a host
// that went down with every seat busy, and a revoke's taking of its lapsed leases (dispatch/forced-loss
// `requeueHeldBy`) and a budget stop's (policies/budget-stop `stopRunning`) read, parsed and wrote the whole document
// once per job. Each factory's record still keeps one
// expiry per lapsed lease, and every job is requeued.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { requeueHeldBy } from "../../src/durable-objects/coordinator/dispatch/forced-loss.ts";
import { expireDue } from "../../src/durable-objects/coordinator/dispatch/lease-ops.ts";
import { applyBatch } from "../../src/durable-objects/coordinator/factories/batch.ts";
import { readFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import { stopRunning } from "../../src/durable-objects/coordinator/policies/budget-stop.ts";
import type { BatchResult } from "../../src/shared/protocol.ts";
import { budgetFixture } from "../support/fixtures.ts";
import { claim, enroll, getJob, submit } from "./client.ts";
import { factoryWritesOf } from "./factory-writes.ts";
import { holdAlarm, lapseLease } from "./state.ts";

const expiriesOf = (product: string, id: string) =>
  runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) => readFactory(state.storage.sql, id)?.leaseExpiries,
  );

/** `seats` jobs leased by a factory of that many seats, all lapsed (the alarm held: nothing expires them first). */
async function lapsedHost(product: string, name: string, seats: number) {
  const f = await enroll(product, name, [], seats);
  const jobs = [];
  const epochs = [];
  for (let i = 0; i < seats; i++) {
    const job = await submit(product, { title: `${name} ${i}`, maxAttempts: 3 });
    const claimed = await claim(product, f.token);
    expect(claimed.body.job.id).toBe(job.id);
    jobs.push(job.id);
    epochs.push(claimed.body.lease.leaseEpoch);
  }
  return { ...f, jobs, epochs };
}

describe("one write of a factory's record for its leases expired in one unit", () => {
  it("the alarm's sweep: one write per holder, one expiry each lease", async () => {
    const product = "expiry-writes-sweep";
    const release = await holdAlarm(product);
    const f = await lapsedHost(product, "busy", 3);
    const g = await lapsedHost(product, "single", 1);
    for (const id of [...f.jobs, ...g.jobs]) await lapseLease(product, id);
    expect(await factoryWritesOf(product, (tx) => void expireDue(tx))).toBe(2);
    expect(await expiriesOf(product, f.factoryId)).toHaveLength(3);
    expect(await expiriesOf(product, g.factoryId)).toHaveLength(1);
    for (const id of [...f.jobs, ...g.jobs]) expect(await getJob(product, id)).toMatchObject({ stage: "queued" });
    await release();
  });

  it("a revoke's taking of its lapsed leases: one write", async () => {
    const product = "expiry-writes-revoke";
    const release = await holdAlarm(product);
    const f = await lapsedHost(product, "gone", 3);
    for (const id of f.jobs) await lapseLease(product, id);
    const writes = await factoryWritesOf(
      product,
      (tx) => void requeueHeldBy(tx, f.factoryId, "factory token revoked", "revoked"),
    );
    expect(writes).toBe(1);
    expect(await expiriesOf(product, f.factoryId)).toHaveLength(3);
    for (const id of f.jobs) expect(await getJob(product, id)).toMatchObject({ stage: "queued" });
    await release();
  });

  it("a budget stop's taking of its lapsed leases: one write", async () => {
    const product = "expiry-writes-budget-stop";
    const release = await holdAlarm(product);
    const f = await lapsedHost(product, "spent", 3);
    for (const id of f.jobs) await lapseLease(product, id);
    const writes = await factoryWritesOf(product, (tx) => void stopRunning(tx, budgetFixture({ onExhausted: "stop" })));
    expect(writes).toBe(1);
    expect(await expiriesOf(product, f.factoryId)).toHaveLength(3);
    for (const id of f.jobs) expect(await getJob(product, id)).toMatchObject({ stage: "queued" });
    await release();
  });

  it("a batch frame renewing its lapsed leases: one write, each entry refused fenced on its own", async () => {
    const product = "expiry-writes-batch";
    const release = await holdAlarm(product);
    const f = await lapsedHost(product, "batched", 3);
    for (const id of f.jobs) await lapseLease(product, id);
    const frames = f.jobs.map((jobId, i) => ({ type: "renew" as const, jobId, leaseEpoch: f.epochs[i] as number }));
    let answer: BatchResult | undefined;
    const writes = await factoryWritesOf(product, (tx, isolate) => {
      answer = applyBatch(tx, f.factoryId, frames, undefined, isolate);
    });
    expect(writes).toBe(1);
    expect(answer?.results.map((r) => (r.ok ? "ok" : r.code))).toEqual(["fenced", "fenced", "fenced"]);
    expect(await expiriesOf(product, f.factoryId)).toHaveLength(3);
    for (const id of f.jobs) expect(await getJob(product, id)).toMatchObject({ stage: "queued" });
    await release();
  });
});
