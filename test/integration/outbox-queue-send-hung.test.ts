// A queue send that never answers (a hung binding call) holds no delivery round: the round gives up on it after its
// bound (outbox/round-plan, durable-objects/call-bound) — the send counts as the queue's refusal, its records stay
// pending with a retry (last error: unanswered), the loop is over, so the alarm and the next loop go on — and so does
// the probe a round sends a queue that took nothing (round-plan `probeQueue`), which would hang the same way. The
// round awaited both for ever: `delivering` never cleared, and every later loop, the alarm's included, joined it. Real
// coordinator; a stand-in history queue that never answers; the bound set short (its value is no claim here).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { enqueueAudit } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { submit, until } from "./client.ts";
import { answered, type Composed } from "./outbox-outage-window.ts";
import { holdAlarm } from "./state.ts";

describe("a history queue send that never answers", () => {
  it("ends its round after the send's bound, its record left pending for a retry", async () => {
    const product = "queue-send-hung";
    await submit(product, { title: "x" });
    await holdAlarm(product); // the runtime's own firings do nothing: no round runs but the test's
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const co = instance as unknown as Composed & { outbox: { sendMs: number } };
      await co.outbox.deliver(); // the submit's records, shipped for real
      await until(
        async () => ({ running: co.outbox.delivering !== null, timer: co.outbox.timer !== null }),
        (s) => !s.running && !s.timer,
        { what: "the shipper idle: no loop running or waiting on its timer" },
      );
      co.outbox.sendMs = 200;
      let sends = 0;
      const hung = () => {
        sends++;
        return new Promise<never>(() => {});
      };
      co.outbox.env = { ...env, HISTORY_QUEUE: { send: hung, sendBatch: hung } } as unknown as Env;
      await co.units.run(product, (tx) => enqueueAudit(tx, "op", "queue.hung", "target"));
      const loop = await until(answered(co.outbox.deliver()), (v) => v !== undefined, {
        what: "the delivery loop over, its queue send still out",
        ms: 5_000,
      });
      const sql = state.storage.sql;
      const pending = sql
        .exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind NOT IN ('event', 'webhook')")
        .one().n;
      const errors = sql
        .exec<{ e: string }>("SELECT last_error AS e FROM outbox_retries WHERE job_id IS NULL")
        .toArray()
        .map((r) => r.e);
      return { loop, pending, errors, sends };
    });
    expect(out.loop).toBe(0); // nothing settled: the record was neither delivered nor dead-lettered
    expect(out.pending).toBeGreaterThan(0);
    expect(out.sends).toBeGreaterThanOrEqual(2); // the record's send, then the queue's probe
    expect(out.errors.length).toBeGreaterThan(0);
    for (const e of out.errors) expect(e).toContain("unanswered");
  });
});
