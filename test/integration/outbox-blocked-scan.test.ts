// A job whose first feed event waits for its retry, with a whole ripe-feed scan of events behind it (OUTBOX_SCAN: a
// chatty job's log while its feed refuses), does not hide a healthy job's event written after it: the round that
// passes over it parks its events until that retry (outbox/due-rows `parkBlockedJob`), so the scan goes on to the
// healthy job — in the first round and in every round after, each blocked event read once, not once a round. It
// waited for the blocked job's retry (a minute here, up to 128 s), and for as long as that refused. Time is the
// rounds' clock, set, never waited for. And parked, they are ripe again once a reader's flush delivers the event
// they waited behind and stops (outbox/retries `releaseBlocked`): the next round ships the rest, not its old retry.
// A watched job's parked events stay wanted: at their retry they go as a read feed's do, with no feed-budget slot —
// also when every slot is taken and the ripe scan reads wanted (`at` 0) rows only, at their retry or after a reader's
// flush delivered their blocker and stopped: they waited for a slot to free (up to the feed idle time, 20 s).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FeedBudget } from "../../src/core/feed-budget.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OUTBOX_SCAN } from "../../src/durable-objects/coordinator/outbox/round-plan.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { blockFirstEvent, clockedProduct, feedHost } from "./outbox-clocked";

/** A product on a set clock whose watched job "watched" has 3 events, the first blocked on its retry at +70 s; now +10 s. */
function watchedBlocked(state: DurableObjectState, product: string) {
  const written = 1_000_000_000;
  const ctx = clockedProduct(state, product, written);
  ctx.transact((t) => {
    wantFeed(t, "watched");
    for (let n = 0; n < 3; n++) enqueueEvent(t, "watched", "log", { lines: [`line ${n}`] });
  });
  blockFirstEvent(ctx.sql, "watched", written + 70_000, written + 10_000);
  ctx.clock.at = written + 10_000;
  return { ...ctx, written };
}

/** A stand-in feed that takes every event, recording each one's outbox seq in `took`. */
function takingFeed() {
  const took: number[] = [];
  const feed = {
    append: (_p: string, _j: string, events: FeedAppend[]) => {
      took.push(...events.map((e) => e.sourceSeq ?? -1));
      return Promise.resolve(events.length);
    },
  };
  return { took, feed };
}

describe("a blocked job with a whole scan of events, ahead of a healthy job", () => {
  it("the healthy job's events go in the first round and the next, and the wake is the blocked job's retry", async () => {
    const product = "blocked-scan";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const written = 1_000_000_000;
      const { sql, clock, transact } = clockedProduct(state, product, written);
      transact((t) => {
        for (let n = 0; n < OUTBOX_SCAN; n++) enqueueEvent(t, "chatty", "log", { lines: [`line ${n}`] });
      });
      clock.at += 1;
      transact((t) => enqueueEvent(t, "healthy", "log", { lines: ["fine"] }));
      // Its first event was refused three times (sent one by one: the rest never tried); its next try a minute away.
      blockFirstEvent(sql, "chatty", written + 70_000, written + 10_000);
      clock.at = written + 10_000; // past the feed hold
      const took: string[] = [];
      const feed = {
        append: (_p: string, job: string, events: FeedAppend[]) => {
          took.push(...events.map(() => job));
          return Promise.resolve(events.length);
        },
      };
      const { host } = feedHost(product, sql, feed.append, clock, transact, new FeedBudget());
      const first = await deliverOutbox(host, 0);
      const afterFirst = [...took];
      // The healthy job writes again, a second on: the next round (past its hold) finds it too.
      clock.at += 1_000;
      transact((t) => enqueueEvent(t, "healthy", "log", { lines: ["still fine"] }));
      clock.at += 10_000;
      const second = await deliverOutbox(host, 0);
      const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE job_id = 'chatty'").one().n;
      // At the blocked job's retry its events are ripe again, every one of them, in order.
      clock.at = written + 70_000;
      took.length = 0;
      const third = await deliverOutbox(host, 0);
      return {
        afterFirst,
        firstWakeIn: (first.wakeAt ?? 0) - (written + 10_000),
        second: second.settled,
        left,
        third: third.settled,
        chattyTook: took.filter((j) => j === "chatty").length,
      };
    });
    expect(out.afterFirst).toEqual(["healthy"]);
    expect(out.firstWakeIn).toBe(60_000); // the blocked job's retry: no poll meanwhile
    expect(out).toMatchObject({ second: 1, left: OUTBOX_SCAN, third: OUTBOX_SCAN, chattyTook: OUTBOX_SCAN });
  });

  it("parked, a reader's flush that delivers its blocker and stops leaves the rest due at the next round", async () => {
    const product = "blocked-scan-flush";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const written = 1_000_000_000;
      const { sql, clock, transact } = clockedProduct(state, product, written);
      transact((t) => {
        for (let n = 0; n < 3; n++) enqueueEvent(t, "chatty", "log", { lines: [`line ${n}`] });
      });
      blockFirstEvent(sql, "chatty", written + 70_000, written + 10_000);
      clock.at = written + 10_000;
      // The feed: taking every append, but for the flush — it takes the blocker, then refuses the next one.
      let mode: "take" | "one" | "refuse" = "take";
      const took: number[] = [];
      const feed = {
        append: (_p: string, _j: string, events: FeedAppend[]) => {
          if (mode === "refuse") return Promise.reject(new Error("Durable Object reset"));
          if (mode === "one") mode = "refuse";
          took.push(...events.map((e) => e.sourceSeq ?? -1));
          return Promise.resolve(events.length);
        },
      };
      const { feedEnv, host } = feedHost(product, sql, feed.append, clock, transact);
      const parkedBy = await deliverOutbox(host, 0); // passes over the job: parked until its retry
      mode = "one";
      const units = { sql, productId: product, transact } as unknown as Units;
      const flushed = await new OutboxShipper(feedEnv, units, async () => {}).flushFeed("chatty");
      mode = "take";
      clock.at += 1_000;
      const next = await deliverOutbox(host, 0);
      const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
      return { parked: parkedBy.settled, flushed, settled: next.settled, left, took };
    });
    expect(out).toMatchObject({ parked: 0, flushed: false, settled: 2, left: 0, took: [1, 2, 3] });
  });

  it("a watched job's parked events go at their retry without a feed-budget slot, as its read feed's", async () => {
    const product = "blocked-scan-watched";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, clock, transact, written } = watchedBlocked(state, product);
      const { took, feed } = takingFeed();
      const feeds = new FeedBudget();
      const { host } = feedHost(product, sql, feed.append, clock, transact, feeds);
      const parkedBy = await deliverOutbox(host, 0);
      // At its retry, a new feed has just taken the budget's one token: a feed that needs one waits for the next.
      clock.at = written + 70_000;
      feeds.admitOne("another_job", clock.at);
      const ripe = await deliverOutbox(host, 0);
      return { parked: parkedBy.settled, settled: ripe.settled, took };
    });
    expect(out).toEqual({ parked: 0, settled: 3, took: [1, 2, 3] });
  });

  it("a watched job's parked events go at their retry when every feed slot is taken", async () => {
    const product = "blocked-scan-watched-full";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, clock, transact, written } = watchedBlocked(state, product);
      const { took, feed } = takingFeed();
      const feeds = new FeedBudget(1); // one slot
      const { host } = feedHost(product, sql, feed.append, clock, transact, feeds);
      const parkedBy = await deliverOutbox(host, 0);
      // At its retry, another job's feed holds the one slot (used just now: it counts open for the idle time).
      clock.at = written + 70_000;
      const full = feeds.admitOne("another_job", clock.at) && feeds.openCount(clock.at) === feeds.max;
      const ripe = await deliverOutbox(host, 0);
      return { parked: parkedBy.settled, full, settled: ripe.settled, took };
    });
    expect(out).toEqual({ parked: 0, full: true, settled: 3, took: [1, 2, 3] });
  });

  it("a watched job's parked events go after a flush that delivers their blocker and stops, every slot taken", async () => {
    const product = "blocked-scan-watched-flush";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const { sql, clock, transact } = watchedBlocked(state, product);
      let mode: "take" | "one" | "refuse" = "take";
      const took: number[] = [];
      const feed = {
        append: (_p: string, _j: string, events: FeedAppend[]) => {
          if (mode === "refuse") return Promise.reject(new Error("Durable Object reset"));
          if (mode === "one") mode = "refuse";
          took.push(...events.map((e) => e.sourceSeq ?? -1));
          return Promise.resolve(events.length);
        },
      };
      const feeds = new FeedBudget(1);
      const { feedEnv, host } = feedHost(product, sql, feed.append, clock, transact, feeds);
      const parkedBy = await deliverOutbox(host, 0);
      mode = "one";
      const units = { sql, productId: product, transact } as unknown as Units;
      const flushed = await new OutboxShipper(feedEnv, units, async () => {}).flushFeed("watched");
      mode = "take";
      clock.at += 1_000;
      const full = feeds.admitOne("another_job", clock.at) && feeds.openCount(clock.at) === feeds.max;
      const next = await deliverOutbox(host, 0);
      return { parked: parkedBy.settled, flushed, full, settled: next.settled, took };
    });
    expect(out).toEqual({ parked: 0, flushed: false, full: true, settled: 2, took: [1, 2, 3] });
  });
});
