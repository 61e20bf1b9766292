// A job feed that refused an event through all its tries is refusing the job's events: the later events it refused
// too are dead-lettered with it, in the same round (each its own dead letter, one audit record for them) — they waited
// behind it untried (a feed keeps its order) and each took its own 254 s of tries after the one before, so a job with
// hundreds of events behind a refusing feed (its REST events page 503 meanwhile) was held for a day. An event written
// after their refusal is not: it is tried on its own. Time moves by setting the round's clock, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OUTBOX_DEAD_LETTER_ALERT } from "../../src/core/delivery-retry.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import { deliveryHost } from "./state";

describe("a job feed that refuses for good", () => {
  it("has the events it refused behind its dead-lettered one dead-lettered with it; a later one waits its turn", async () => {
    const product = "refused-feed-behind";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      let clock = 1_000_000_000;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const audited: string[] = []; // the audit records' actions D1 history was sent
      const refusing = {
        ...env,
        HISTORY_QUEUE: {
          send: (m: HistoryMessage) => {
            for (const r of m.records) audited.push(String(r.body.action));
            return Promise.resolve();
          },
        },
        JOB_FEED: { getByName: () => ({ append: () => Promise.reject(new Error("Durable Object storage full")) }) },
      } as unknown as Env;
      const host = deliveryHost(product, sql, {
        env: refusing,
        appendFeeds: (batches) => appendFeeds(refusing, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const write = (n: number) =>
        state.storage.transactionSync(() => {
          enqueueEvent(tx(), "job_r", "log", { lines: [`line ${n}`] });
          wantFeed(tx(), "job_r");
        });
      for (let n = 1; n <= 3; n++) write(n);
      await deliverOutbox(host, 0); // all three refused in one call: a try counted against each
      write(4); // written after: never refused yet
      const count = (q: string) => sql.exec<{ n: number }>(q).one().n;
      for (let round = 0; round < 100 && count("SELECT count(*) AS n FROM dead_letters") === 0; round++) {
        // The next retry ahead: those behind the first event are past due, waiting for it (its feed's order).
        const next = sql
          .exec<{ t: number | null }>("SELECT MIN(next_at) AS t FROM outbox_retries WHERE next_at > ?", clock)
          .one().t;
        clock = Math.max(clock + 1_000, next ?? 0);
        await deliverOutbox(host, 0);
      }
      const dead = sql.exec<{ id: string; at: number }>("SELECT id, at FROM dead_letters ORDER BY id").toArray();
      const audits = audited.filter((a) => a === OUTBOX_DEAD_LETTER_ALERT).length;
      const left = sql
        .exec<{ seq: number; attempts: number | null }>(
          "SELECT o.seq, r.attempts FROM outbox o LEFT JOIN outbox_retries r ON r.seq = o.seq WHERE o.kind = 'event'",
        )
        .toArray();
      return { dead, audits, left };
    });
    expect(out.dead.map((d) => d.id)).toEqual(["outbox:1", "outbox:2", "outbox:3"]);
    expect(new Set(out.dead.map((d) => d.at)).size).toBe(1); // one round
    expect(out.audits).toBe(2); // the one whose tries ran out, and one for those with it
    expect(out.left).toEqual([{ seq: 4, attempts: 1 }]); // tried on its own since: its first try
  });
});
