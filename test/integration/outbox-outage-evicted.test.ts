// An outage of every destination (job feeds and the history queue refusing) ridden out across evictions of the
// coordinator: the shipper's outage count, backoff and wake live in memory, so an eviction (a product's Durable Object
// idle a minute or more, back for its alarm with its SQLite kept) starts the outage backoff again at 2 s. Decided
// here that this is no fault worth SQLite writes: the outage is ridden out only until its horizon (254 s), counted
// from a start kept in SQLite (core/delivery-outage), so an eviction can restart the backoff at most twice — a
// handful of rounds more, not a storm of refused sends for as long as the outage lasts — and the records end as
// without evictions: the feeds' events dead-lettered within the same bound, every history record still waiting
// (a queue's refusal blames no record). Time moves by setting the rounds' clock to the wake asked for, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deadLetteredBy, OUTAGE_HORIZON_MS } from "../../src/core/delivery-outage.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import { type RoundsState, roundsAtWakes } from "./outbox-rounds.ts";
import { deliveryHost } from "./state";

/**
 * 20 minutes of every destination refusing, two watched jobs' feeds and 50 history records waiting, rounds at the
 * wakes the outbox asks for. `evictAfterMs`: an idle this long between rounds evicts the coordinator (its
 * QueueHealth, the shipper's outage count and the meta cache forgotten). Returns the outage rounds (backed off whole),
 * all rounds, the refused sends, the evictions, the dead letters' times after the start, and the records left.
 */
async function everythingDown(product: string, evictAfterMs = Number.POSITIVE_INFINITY) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    const start = 1_000_000_000;
    const at: RoundsState = { clock: start, outageRounds: 0, evictions: 0 };
    let sends = 0;
    const refuse = () => {
      sends++;
      return Promise.reject(new Error("Network connection lost"));
    };
    const down = {
      ...env,
      JOB_FEED: { getByName: () => ({ append: refuse }) },
      HISTORY_QUEUE: { send: refuse },
    } as unknown as Env;
    const tx = (): Tx => ({ sql, productId: product, now: at.clock });
    const host = deliveryHost(product, sql, {
      env: down,
      appendFeeds: (b) => appendFeeds(down, product, b),
      now: () => at.clock,
      transact: (fn) => state.storage.transactionSync(() => fn(tx())),
    });
    state.storage.transactionSync(() => {
      for (const job of ["job_a", "job_b"]) {
        enqueueEvent(tx(), job, "log", { lines: ["one"] });
        wantFeed(tx(), job);
      }
      for (let i = 0; i < 50; i++) enqueueAudit(tx(), "op", `during-${i}`, "product");
    });
    const { rounds, outages } = await roundsAtWakes(host, at, () => at.clock - start >= 20 * 60_000, evictAfterMs);
    const dead = sql
      .exec<{ at: number }>("SELECT at FROM dead_letters ORDER BY at")
      .toArray()
      .map((d) => d.at - start);
    const left = sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE kind = 'audit' AND body LIKE '%during-%'")
      .one().n;
    return { outages, rounds, sends, evictions: at.evictions, dead, left };
  });
}

describe("an outage of every destination across evictions of the coordinator", () => {
  it("restarts the outage backoff at most twice within its horizon: a few rounds more, and the same outcome", async () => {
    const kept = await everythingDown("outage-evicted-never");
    const evicted = await everythingDown("outage-evicted-each-minute", 60_000);
    expect(evicted.evictions).toBeGreaterThan(0);
    // Without evictions: 2 s, 4 s … 128 s, seven outage rounds to the horizon (254 s).
    expect(kept.outages).toBeLessThanOrEqual(8);
    // Each eviction within the horizon starts the backoff again at 2 s; only a wait of 64 s or more lets one happen.
    expect(evicted.outages).toBeLessThanOrEqual(kept.outages + 2 * 7);
    expect(evicted.sends).toBeLessThanOrEqual(2 * kept.sends);
    // Past the horizon the rounds are judged as any other: the feeds' events dead-lettered by the same bound.
    for (const out of [kept, evicted]) {
      expect(out.dead.length).toBe(2);
      for (const at of out.dead) {
        expect(at).toBeGreaterThanOrEqual(OUTAGE_HORIZON_MS);
        expect(at).toBeLessThanOrEqual(deadLetteredBy(0, 1_000));
      }
      expect(out.left).toBe(50); // a queue's refusal blames no record: every history record still waits
    }
  });
});
