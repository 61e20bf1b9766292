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
import { forgetAllCachedFactories } from "../../src/durable-objects/coordinator/factories/cache.ts";
import { readFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import { stopRunning } from "../../src/durable-objects/coordinator/policies/budget-stop.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { budgetFixture } from "../support/fixtures.ts";
import { claim, enroll, getJob, submit } from "./client.ts";
import { holdAlarm, lapseLease } from "./state.ts";

const WRITES_FACTORY = /^\s*(UPDATE|INSERT INTO) factories\b/;

/** Runs `fn` as one unit of `product`'s coordinator through a handle that counts the statements writing `factories`. */
async function writesOf(product: string, fn: (tx: Tx) => void): Promise<number> {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (instance) => {
    const units = (instance as unknown as { units: Units }).units;
    let writes = 0;
    const outcome = await units.run(product, (tx) => {
      const sql = new Proxy(tx.sql, {
        get(target, key) {
          if (key === "exec")
            return (query: string, ...bindings: unknown[]) => {
              if (WRITES_FACTORY.test(query)) writes++;
              return target.exec(query, ...bindings);
            };
          const v = Reflect.get(target, key, target) as unknown;
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      fn({ ...tx, sql });
    });
    expect(outcome.ok).toBe(true);
    forgetAllCachedFactories(units.sql); // the counting handle's writes did not reach the real handle's cache
    return writes;
  });
}

const expiriesOf = (product: string, id: string) =>
  runInDurableObject(
    env.COORDINATOR.getByName(product),
    (_i, state) => readFactory(state.storage.sql, id)?.leaseExpiries,
  );

/** `seats` jobs leased by a factory of that many seats, all lapsed (the alarm held: nothing expires them first). */
async function lapsedHost(product: string, name: string, seats: number) {
  const f = await enroll(product, name, [], seats);
  const jobs = [];
  for (let i = 0; i < seats; i++) {
    const job = await submit(product, { title: `${name} ${i}`, maxAttempts: 3 });
    expect((await claim(product, f.token)).body.job.id).toBe(job.id);
    jobs.push(job.id);
  }
  return { ...f, jobs };
}

describe("one write of a factory's record for its leases expired in one unit", () => {
  it("the alarm's sweep: one write per holder, one expiry each lease", async () => {
    const product = "expiry-writes-sweep";
    const release = await holdAlarm(product);
    const f = await lapsedHost(product, "busy", 3);
    const g = await lapsedHost(product, "single", 1);
    for (const id of [...f.jobs, ...g.jobs]) await lapseLease(product, id);
    expect(await writesOf(product, (tx) => void expireDue(tx))).toBe(2);
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
    const writes = await writesOf(
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
    const writes = await writesOf(product, (tx) => void stopRunning(tx, budgetFixture({ onExhausted: "stop" })));
    expect(writes).toBe(1);
    expect(await expiriesOf(product, f.factoryId)).toHaveLength(3);
    for (const id of f.jobs) expect(await getJob(product, id)).toMatchObject({ stage: "queued" });
    await release();
  });
});
