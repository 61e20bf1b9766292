// One delivery call ends once its time budget (DELIVERY_LOOP_MS) is spent, though every round still settles something:
// a backlog of brand-new job feeds, each round slower than the feed budget's pace of new feeds (one per 40 ms), had
// every round open one more feed, settle its events and go on — one call shipped the whole backlog at one feed a
// round (1,500 of them: 227 s here, ~110–175 s on a loaded box) while the alarm awaited it, and every alarm due
// meanwhile (a cancel cascade's next chunk, a lease's expiry) waited behind it. What is left is due at once, in a call
// of its own. Time is the rounds' clock, set by the stand-in feed (50 ms an append), never waited for.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FeedBudget } from "../../src/core/feed-budget.ts";
import { FEED_HOLD_MS } from "../../src/core/feed-hold.ts";
import { DELIVERY_LOOP_MS, deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { clockedProduct, feedHost } from "./outbox-clocked";

/** Jobs with one event each: more brand-new feeds than one budget's worth of 50 ms rounds. */
const JOBS = 2 * (DELIVERY_LOOP_MS / 50);
/** What one append takes on the rounds' clock (ms): longer than the feed budget's 40 ms between new feeds. */
const APPEND_MS = 50;

describe("a delivery call over a paced backlog of new feeds", () => {
  it("ends at its time budget with the rest due at once, then the next call goes on where it stopped", async () => {
    const product = "outbox-loop-bound";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const written = 1_000_000_000;
      const { sql, clock, transact } = clockedProduct(state, product, written);
      transact((t) => {
        for (let n = 0; n < JOBS; n++) enqueueEvent(t, `job-${n}`, "log", { lines: [`line ${n}`] });
      });
      clock.at = written + FEED_HOLD_MS + 1; // every event past its hold: each job's feed is due, none open yet
      const took: string[] = [];
      const append = (_p: string, job: string, events: FeedAppend[]) => {
        took.push(job);
        clock.at += APPEND_MS;
        return Promise.resolve(events.length);
      };
      const { host } = feedHost(product, sql, append, clock, transact, new FeedBudget());
      const startedAt = clock.at;
      const first = await deliverOutbox(host, 0);
      const firstTook = took.length;
      const endedAt = clock.at;
      await deliverOutbox(host, 0);
      const distinct = new Set(took).size;
      return { first, firstTook, spent: endedAt - startedAt, endedAt, secondTook: took.length - firstTook, distinct };
    });
    // Stopped at its budget: a round more at most, not the whole backlog at one feed a round.
    expect(out.spent).toBeGreaterThanOrEqual(DELIVERY_LOOP_MS);
    expect(out.spent).toBeLessThan(DELIVERY_LOOP_MS + 2 * APPEND_MS);
    expect(out.firstTook).toBeLessThan(JOBS);
    // The rest is due at once (the shipper's timer, not the alarm's next second), and the next call takes it on.
    expect(out.first.wakeAt).toBeDefined();
    expect(out.first.wakeAt).toBeLessThanOrEqual(out.endedAt);
    expect(out.secondTook).toBeGreaterThan(0);
    expect(out.distinct).toBe(out.firstTook + out.secondTook); // each feed once: nothing sent twice
  });
});
