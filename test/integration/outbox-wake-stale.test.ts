// A record due at once, written while a delivery round is out, never waits behind that round's stale wake (a blocked
// job's retry, a minute on here; up to 128 s, or a refusing queue's 5 min) when the round does not come back: a round
// that throws forgets its wake and has the alarm armed from what is due now (the next second), and a coordinator
// built after a reset (no wake in memory) lowers a later alarm it finds armed to its pending records' next round.
// The cost is per failed round or per construction, never per write. Time moves by setting state, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { AlarmClock } from "../../src/durable-objects/coordinator/runtime/alarm.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";

/**
 * A product's storage whose one watched job's event waits for its 6th try at `now` + 60 s, and a shipper over it
 * whose job feeds take every append; `failing` set, every transaction throws (a storage error mid-round).
 */
function blockedProduct(state: DurableObjectState, product: string, now: number) {
  const sql = state.storage.sql;
  sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
  const io = { failing: false, armed: 0 };
  const transact = <T>(fn: (t: Tx) => T): T => {
    if (io.failing) throw new Error("SQLITE_FULL: database or disk is full");
    return state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
  };
  transact((t) => {
    wantFeed(t, "job_blocked");
    enqueueEvent(t, "job_blocked", "log", { lines: ["refused"] });
  });
  sql.exec(
    "INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (1, 6, ?, 'full', 'job_blocked', ?)",
    now + 60_000,
    now - 1_000,
  );
  sql.exec("UPDATE outbox SET retrying = 1 WHERE seq = 1");
  const feed = { append: async (_p: string, _j: string, events: FeedAppend[]) => events.length };
  const feedEnv = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
  const units = { sql, productId: product, transact } as unknown as Units;
  const shipper = new OutboxShipper(feedEnv, units, async () => {
    io.armed++;
  });
  return { sql, io, transact, shipper };
}

describe("the outbox's wake after a round that never came back", () => {
  it("is forgotten by a round that throws: the alarm is armed for the next second, not the blocker's retry", async () => {
    const product = "wake-stale-throw";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const now = Date.now();
      const { io, transact, shipper } = blockedProduct(state, product, now);
      await shipper.deliver(); // nothing due: the wake is the blocked job's retry
      const idle = (shipper.dueAt(now) ?? 0) - now;
      const armedIdle = io.armed;
      // A unit writes a watched job's event; the round its settling starts throws when it acknowledges the delivery.
      transact((t) => {
        wantFeed(t, "job_live");
        enqueueEvent(t, "job_live", "log", { lines: ["now"] });
      });
      io.failing = true;
      const thrown = await shipper.deliver().then(
        () => "",
        (err: unknown) => String(err),
      );
      io.failing = false;
      const after = (shipper.dueAt(now) ?? 0) - now;
      return { idle, armedIdle, thrown, after, armedAfter: io.armed };
    });
    expect(out).toMatchObject({ idle: 60_000, armedIdle: 1 });
    expect(out.thrown).toContain("SQLITE_FULL"); // the loop's callers still hear of it (logged by `soon`)
    expect(out.after).toBe(1_000);
    expect(out.armedAfter).toBe(2); // the alarm re-armed after the throw, from the wake read fresh
  });

  it("is not in a coordinator built after a reset: its clock lowers the later alarm it finds to the next round", async () => {
    const product = "wake-stale-reset";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const now = Date.now();
      const { sql, transact, shipper } = blockedProduct(state, product, now);
      await shipper.deliver();
      // The instance before the reset armed the blocker's retry; a unit then wrote an event due at once, and the round
      // its settling started was out when the reset came.
      await state.storage.setAlarm(now + 60_000);
      transact((t) => {
        wantFeed(t, "job_live");
        enqueueEvent(t, "job_live", "log", { lines: ["now"] });
      });
      // The instance built after it: a shipper with nothing in memory, and its clock loaded as the constructor does.
      const units = { sql, productId: product, transact } as unknown as Units;
      const fresh = new OutboxShipper(env, units, async () => {});
      const clock = new AlarmClock(state.storage, (t) => fresh.dueAt(t));
      const before = Date.now();
      await clock.load();
      const alarm = await state.storage.getAlarm();
      const after = Date.now();
      await state.storage.deleteAlarm();
      return { ahead: (alarm ?? 0) - before, spent: after - before, at: clock.at === alarm };
    });
    expect(out.at).toBe(true);
    expect(out.ahead).toBeGreaterThanOrEqual(1_000);
    expect(out.ahead).toBeLessThanOrEqual(1_000 + out.spent); // the next round's second, not the stale 60 s
  });
});
