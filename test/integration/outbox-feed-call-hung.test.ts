// A job feed call that never answers (a hung stub call) holds no one outside an outage either: a delivery round gives
// up on it after its bound (outbox/feed-append) — the other jobs' events delivered, its event failed and retried at
// its own time, the loop over, so the alarm and the next loop go on — and a reader of that job's feed is answered
// (503 `unavailable` for a whole read) instead of held. The round awaited it for ever: `delivering` never cleared, and
// every later loop, the alarm's included, joined it. Real coordinator, real JobFeed for the healthy job; a stand-in
// feed that never answers; the call's bound set short (its value is no claim here, its existence is).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { submit, until } from "./client.ts";
import { answered, type Composed, feedsAnswering, held, read, writeEvent } from "./outbox-outage-window.ts";
import { holdAlarm } from "./state.ts";

describe("a job feed call that never answers", () => {
  it("ends its round after the call's bound, the other jobs' events delivered; its reader is answered", async () => {
    const product = "feed-call-hung";
    const [one, two] = await Promise.all([1, 2].map((n) => submit(product, { title: `job ${n}` })));
    const [a, b] = [one!.id, two!.id];
    await holdAlarm(product); // the runtime's own firings do nothing: no round runs but the test's
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (instance, state) => {
      const co = instance as unknown as Composed & { outbox: { feedCallMs?: number } };
      await co.outbox.deliver(); // the submits' records, shipped for real
      await until(
        async () => ({ running: co.outbox.delivering !== null, timer: co.outbox.timer !== null }),
        (s) => !s.running && !s.timer,
        { what: "the shipper idle: no loop running or waiting on its timer" },
      );
      co.outbox.feedCallMs = 200;
      let calls = 0;
      co.outbox.env = feedsAnswering(product, (id) =>
        id === a
          ? () => {
              calls++;
              return new Promise<never>(() => {});
            }
          : undefined,
      );
      await writeEvent(co, product, a);
      await writeEvent(co, product, b);
      const loop = await until(answered(co.outbox.deliver()), (v) => v !== undefined, {
        what: "the delivery loop over, a's call still out",
        ms: 5_000,
      });
      const sql = state.storage.sql;
      const retried = sql
        .exec<{ e: string }>(`SELECT last_error AS e FROM outbox_retries WHERE job_id = ?`, a)
        .toArray()
        .map((r) => r.e);
      const reader = await until(answered(read(co, product, a)), (v) => v !== undefined, {
        what: "a's reader answered, its feed's call still out",
        ms: 5_000,
      });
      return { loop: (loop ?? 0) > 0, heldB: held(sql, b), retried, reader, calls: calls >= 2 };
    });
    expect(out).toMatchObject({ loop: true, heldB: 0, reader: "unavailable", calls: true });
    // a's events (its held ones in the failed call) failed, each at its own retry time
    expect(out.retried.length).toBeGreaterThan(0);
    for (const e of out.retried) expect(e).toContain("job feed call unanswered");
  });
});
