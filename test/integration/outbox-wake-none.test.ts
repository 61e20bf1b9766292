// A coordinator built with outbox records pending and no alarm armed arms one for their next round (runtime/alarm
// `load`): it lowered only a LATER alarm it found, so records due at once waited with none — a read (no unit) arms
// nothing, and an idle product waited for its next write or the cron sweep (none in a local runtime). How an instance
// comes to have records and no alarm: the settling's `setAlarm` after their unit failed (runtime/composition
// `settleSoon` logs it and leaves the retry to "the next settling") and a reset before another unit came (a pass-42
// review). Time moves by setting state, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import { AlarmClock } from "../../src/durable-objects/coordinator/runtime/alarm.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";

describe("a coordinator built with records pending and no alarm armed", () => {
  it("arms the alarm for the records' next round", async () => {
    const product = "review-wake-none";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const transact = <T>(fn: (t: Tx) => T): T =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
      await state.storage.deleteAlarm(); // whatever this test object's own constructor armed: none, as after the fault
      // The unit the previous instance committed: an event due at once, whose settling's setAlarm never happened.
      transact((t) => {
        wantFeed(t, "job_live");
        enqueueEvent(t, "job_live", "log", { lines: ["now"] });
      });
      // The instance built after the reset: a shipper with nothing in memory, its clock loaded as the constructor does.
      const units = { sql, productId: product, transact } as unknown as Units;
      const fresh = new OutboxShipper(env, units, async () => {});
      const clock = new AlarmClock(state.storage, (t) => fresh.dueAt(t));
      const pending = fresh.pending();
      await clock.load();
      const alarm = await state.storage.getAlarm();
      await state.storage.deleteAlarm();
      return { pending, alarm };
    });
    expect(out.pending).toBe(true);
    expect(out.alarm).not.toBeNull(); // was null: nothing shipped the record until some unit committed
  });
});
