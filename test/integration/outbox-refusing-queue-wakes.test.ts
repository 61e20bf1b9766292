// A history queue that stays down past the outage's horizon (254 s) is asked at its refused record's backoff (2 s …
// 5 min), not by a round each second: the records waiting unasked behind the one it was asked with stayed due, and
// the outbox woke every second to send one more refused message and a probe — 952 rounds in 20 min. The same with the
// coordinator evicted whenever it idles a minute or more between rounds (a product's Durable Object is, and comes back
// for its alarm with its in-memory state gone, its SQLite kept): the wait is not started over at 2 s, nor every due
// record sent again after each eviction (61 rounds, 3,094 refused sends before it was kept in SQLite). Once the queue
// takes messages again every record reaches it exactly once. Time moves by setting the rounds' clock to the wake the
// outbox asks for (as its alarm would), never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { enqueueAudit } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { HistoryMessage } from "../../src/history/write.ts";
import { type RoundsState, roundsAtWakes } from "./outbox-rounds.ts";
import { deliveryHost } from "./state";

/**
 * 300 records, the history queue down 20 min then up, rounds run at the wakes the outbox asks for. `evictAfterMs`:
 * an idle this long between rounds evicts the coordinator (its QueueHealth, the shipper's outage count and the meta
 * cache forgotten; the runtime's idle eviction is about 70–140 s). Returns the rounds while down and once up, the
 * refused sends, what the queue took (seqs), the rows left and the evictions.
 */
async function historyQueueDown(product: string, evictAfterMs = Number.POSITIVE_INFINITY) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    const at: RoundsState = { clock: 1_000_000_000, outageRounds: 0, evictions: 0 };
    let up = false;
    let refused = 0;
    const took: number[] = [];
    const tx = (): Tx => ({ sql, productId: product, now: at.clock });
    const queue = {
      send: (m: HistoryMessage) => {
        if (!up) return Promise.reject(new Error(`queue unavailable ${++refused}`));
        took.push(...m.records.map((r) => r.seq));
        return Promise.resolve();
      },
    };
    const host = deliveryHost(product, sql, {
      env: { ...env, HISTORY_QUEUE: queue } as unknown as Env,
      appendFeeds: (batches) => appendFeeds(env, product, batches),
      now: () => at.clock,
      transact: (fn) => state.storage.transactionSync(() => fn(tx())),
    });
    state.storage.transactionSync(() => {
      for (let i = 0; i < 300; i++) enqueueAudit(tx(), "op", `during-${i}`, "product");
    });
    const rounds = async (until: () => boolean) => (await roundsAtWakes(host, at, until, evictAfterMs)).rounds;
    const start = at.clock;
    const down = await rounds(() => at.clock - start >= 20 * 60_000);
    const sentDown = refused;
    up = true;
    const back = await rounds(() => false);
    const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
    return { down, sentDown, back, took, left, evictions: at.evictions };
  });
}

/** A few dozen rounds while down, a message and a probe at most each; once up, every record once, in a few rounds. */
function expectAskedAtBackoff(out: Awaited<ReturnType<typeof historyQueueDown>>): void {
  expect(out.down).toBeLessThanOrEqual(40);
  expect(out.sentDown).toBeLessThanOrEqual(2 * 40);
  expect(out.left).toBe(0);
  expect(out.took.length).toBe(300);
  expect(new Set(out.took).size).toBe(300);
  expect(out.back).toBeLessThanOrEqual(10);
}

describe("a history queue down for 20 minutes", () => {
  it("is asked at its backoff, not each second; once up, it gets every record once", async () => {
    const out = await historyQueueDown("outbox-refusing-queue-wakes");
    // The refused record's backoff (2 s … 5 min; one queue down is no outage of the outbox): a few dozen rounds, not 1,200.
    expectAskedAtBackoff(out);
  });

  it("is asked at its backoff across evictions of the coordinator; once up, it gets every record once", async () => {
    const out = await historyQueueDown("outbox-refusing-queue-evicted", 60_000);
    expect(out.evictions).toBeGreaterThan(0);
    // As without evictions: a few dozen rounds, a message and a probe at most each.
    expectAskedAtBackoff(out);
  });
});
