// During an outage backoff (every destination refused a round: the whole outbox waits, 2 s doubling to 128 s), the
// coordinator's alarm and the cron sweep run no delivery round: each refused round is one more refused send per feed
// and queue. The alarm fires for any due work — a lease's expiry, a health threshold, and back to back for a cancel
// cascade's chunks, a settled job's waiters or a revoked token's feeds — and its delivery ignored the backoff that
// its unit's own delivery (`soon`) keeps: a round per firing, a storm for a cascade. The alarm's own due round still
// runs once the backoff ends, or once a reader's flush finds its feed taking events (the outage is over: the rest
// no longer waits up to 128 s for the backoff's end). Real coordinator, its alarm method called as the runtime
// calls it; destinations that refuse stand in for the outage; time moves by setting state, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { submit } from "./client.ts";
import { holdAlarm } from "./state.ts";

/** The composed coordinator's parts this test reaches: the shipper's env and backoff, its units, its handlers. */
interface Composed {
  outbox: {
    env: Env;
    retryAt: number;
    deliver(): Promise<number>;
    flushFeed(jobId: string): Promise<boolean>;
  };
  units: Units;
  sweep(productId: string): Promise<unknown>;
}

describe("an outage backoff", () => {
  it("holds the alarm's and the sweep's deliveries too; the alarm ships once it ends", async () => {
    const product = "outage-alarm";
    await submit(product, { title: "binds the product" });
    await holdAlarm(product); // the runtime's own firings do nothing: only the test's calls below run it
    const stub = env.COORDINATOR.getByName(product);
    const out = await runInDurableObject(stub, async (instance, state) => {
      const c = instance as unknown as Composed;
      const alarm = () => (Object.getPrototypeOf(instance) as { alarm(): Promise<void> }).alarm.call(instance);
      await c.outbox.deliver(); // the submit's records, shipped for real
      let sends = 0;
      const refuse = () => {
        sends++;
        return Promise.reject(new Error("Network connection lost"));
      };
      const real = c.outbox.env;
      const down = { HISTORY_QUEUE: { send: refuse }, JOB_FEED: { getByName: () => ({ append: refuse }) } };
      c.outbox.env = { ...env, ...down } as unknown as Env;
      // A unit writes to two watched feeds and the history queue: its delivery (at once) is an outage round.
      await c.units.run(product, (tx) => {
        for (const job of ["job_a", "job_b"]) {
          wantFeed(tx, job);
          enqueueEvent(tx, job, "log", { lines: ["during the outage"] });
        }
        enqueueAudit(tx, "op", "during.outage", "product");
      });
      await c.outbox.deliver(); // joins that round; the backoff ahead stops it going round again
      const outage = { sends, backoffMs: c.outbox.retryAt - Date.now() };
      // The alarm fires five times for other due work (a cascade's chunks), the sweep once, all within the backoff.
      for (let i = 0; i < 5; i++) await alarm();
      await c.sweep(product);
      const duringBackoff = sends - outage.sends;
      // The backoff ends (set, not waited for) and the destinations are back: the alarm's round ships it all.
      c.outbox.retryAt = Date.now() - 1;
      c.outbox.env = real;
      await alarm();
      // What the outage held (the submit's own event still waits for its feed hold: no one watches that job).
      const left = state.storage.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind <> 'event' OR job_id IN ('job_a', 'job_b')")
        .one().n;
      return { outage, duringBackoff, left };
    });
    expect(out.outage.sends).toBe(3); // one refused send per destination: two feeds, one history message
    expect(out.outage.backoffMs).toBeGreaterThan(1_000);
    expect(out.duringBackoff).toBe(0);
    expect(out.left).toBe(0);
  });

  it("is over once a reader's flush finds its feed taking events: the alarm's round ships the rest", async () => {
    const product = "outage-alarm-flushed";
    await submit(product, { title: "binds the product" });
    await holdAlarm(product);
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const c = instance as unknown as Composed;
      const alarm = () => (Object.getPrototypeOf(instance) as { alarm(): Promise<void> }).alarm.call(instance);
      await c.outbox.deliver();
      const real = c.outbox.env;
      const refuse = () => Promise.reject(new Error("Network connection lost"));
      const down = { HISTORY_QUEUE: { send: refuse }, JOB_FEED: { getByName: () => ({ append: refuse }) } };
      c.outbox.env = { ...env, ...down } as unknown as Env;
      await c.units.run(product, (tx) => {
        for (const job of ["job_a", "job_b"]) {
          wantFeed(tx, job);
          enqueueEvent(tx, job, "log", { lines: ["during the outage"] });
        }
        enqueueAudit(tx, "op", "during.outage", "product");
      });
      await c.outbox.deliver(); // an outage round: the backoff begins
      const backedOff = c.outbox.retryAt > Date.now();
      c.outbox.env = real; // the destinations are back; a reader opens job_a's feed, which takes its event
      const flushed = await c.outbox.flushFeed("job_a");
      await alarm(); // the alarm its flush armed (the next second: run now)
      const left = state.storage.sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind <> 'event' OR job_id IN ('job_a', 'job_b')")
        .one().n;
      return { backedOff, flushed, left };
    });
    expect(out).toMatchObject({ backedOff: true, flushed: true, left: 0 });
  });
});
