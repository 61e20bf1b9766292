// The alarm's bound on an outbox round (outbox/shipper ALARM_ROUND_MS): records a unit wrote, whose own delivery round
// is still out — were it never to come back (a reset mid-round), the alarm would be their only wake-up — are tried by
// the alarm one second after the unit's write, not sooner (at once, the alarm's round joined the unit's own: a
// second round per unit) and not later (they would wait past the second the design allows). Real coordinator: its
// unit's settling arms the alarm; a history queue whose send does not answer until the test lets it keeps the round
// out. Time is read around the unit, never waited for.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enqueueAudit } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { holdAlarm } from "./state.ts";

/** The composed coordinator's parts this test reaches: the shipper's env, its loop, and the units. */
interface Composed {
  outbox: { env: Env; deliver(): Promise<number> };
  units: Units;
}

describe("the alarm armed for records whose unit's round is still out", () => {
  it("is one second after the unit's write (ALARM_ROUND_MS): not at once, not later", async () => {
    const product = "outbox-alarm-round";
    await holdAlarm(product); // the runtime's firing does nothing: the armed instant is what this reads
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const c = instance as unknown as Composed;
      let answer = () => {};
      const answered = new Promise<void>((resolve) => {
        answer = resolve;
      });
      const sent: number[] = [];
      c.outbox.env = {
        ...env,
        HISTORY_QUEUE: { send: () => answered.then(() => void sent.push(Date.now())) },
      } as unknown as Env;
      const before = Date.now();
      // Binds the coordinator to the product; its settling starts the round (at once: the outbox was idle) and arms.
      await c.units.run(product, (tx) => enqueueAudit(tx, "op", "alarm.round", "product"));
      const after = Date.now();
      const alarm = (await state.storage.getAlarm()) ?? 0;
      answer(); // the round comes back: the record is delivered
      await c.outbox.deliver();
      const left = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
      await state.storage.deleteAlarm();
      return { fromBefore: alarm - before, fromAfter: alarm - after, sent: sent.length, left };
    });
    expect(out.fromBefore).toBeGreaterThanOrEqual(1_000);
    expect(out.fromAfter).toBeLessThanOrEqual(1_000);
    expect(out).toMatchObject({ sent: 1, left: 0 });
  });
});
