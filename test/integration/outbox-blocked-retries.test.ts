// A job feed that refuses wakes the outbox about once per try of the event it retries, not every second: the job's
// later events that wait for a retry are blocked behind it (a feed keeps its order), and their retry times, past due,
// had been the outbox's next wake — a round each second that sent nothing, for up to 254 s per refusing feed. Once
// the feed takes events again, every one arrives once, in order. Time moves by setting the rounds' clock to the wake
// the outbox asks for (as its alarm would), never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_DELIVERY_ATTEMPTS } from "../../src/core/delivery-retry.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { deliveryHost } from "./state";

/**
 * Rounds of a product whose one job feed refuses its first `refusals` append calls, then takes each event, from three
 * events refused in one call until nothing is left (or 400 wakes): the rounds run, the seqs the feed took in order.
 */
async function roundsWhileRefused(product: string, refusals: number) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    let clock = 1_000_000_000;
    let calls = 0;
    const took: number[] = [];
    const tx = (): Tx => ({ sql, productId: product, now: clock });
    const feed = {
      append: (_product: string, _job: string, events: FeedAppend[]) => {
        if (++calls <= refusals) return Promise.reject(new Error("Durable Object storage full"));
        took.push(...events.map((e) => e.sourceSeq ?? -1));
        return Promise.resolve(events.length);
      },
    };
    const refusing = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
    const host = deliveryHost(product, sql, {
      env: refusing,
      appendFeeds: (batches) => appendFeeds(refusing, product, batches),
      now: () => clock,
      transact: (fn) => state.storage.transactionSync(() => fn(tx())),
    });
    state.storage.transactionSync(() => {
      for (let n = 1; n <= 3; n++) enqueueEvent(tx(), "job_b", "log", { lines: [`line ${n}`] });
      wantFeed(tx(), "job_b");
    });
    let rounds = 0;
    for (; rounds < 400; rounds++) {
      const out = await deliverOutbox(host, 0);
      const wake = out.backoffUntil ?? out.wakeAt;
      if (wake === undefined) break;
      clock = Math.max(clock + 1_000, wake); // the alarm: at the wake asked for, a second after this round at least
    }
    const dead = sql.exec<{ n: number }>("SELECT count(*) AS n FROM dead_letters").one().n;
    return { rounds, took, dead };
  });
}

describe("a job feed refusing its events", () => {
  it("wakes the outbox once per try of the event it retries, not every second for the events blocked behind it", async () => {
    const out = await roundsWhileRefused("blocked-retries-dead", Number.POSITIVE_INFINITY);
    expect(out.dead).toBe(3); // the first after its tries, the two it refused behind it with it
    expect(out.took).toEqual([]);
    // The first call's try, then one round per retry: no round between them.
    expect(out.rounds).toBeLessThanOrEqual(MAX_DELIVERY_ATTEMPTS + 1);
  });

  it("delivers every event once, in order, when the feed takes them again; without a round between tries", async () => {
    const out = await roundsWhileRefused("blocked-retries-back", 4);
    expect(out.dead).toBe(0);
    expect(out.took).toEqual([1, 2, 3]);
    expect(out.rounds).toBeLessThanOrEqual(4 + 1);
  });
});
