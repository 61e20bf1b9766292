// A reader's flush that delivers a job's event waiting for its retry (a blocker) and then stops — the feed refusing
// the next one, or the flush's budget spent — leaves the events behind it due at their own retry times, not at the
// blocker's later one: they had been moved up to it (a feed keeps its order), and the delivered blocker left them
// there, so a live reader waited up to 128 s for events that could go now. The loop's next round ships them, in
// order, each once; and the coordinator's alarm, armed for the blocker's old time, is brought to the next second.
// So too after a whole flush: an event the job wrote while the flush ran (after the last one it ships) waited behind
// the blocker, the round its write ran left the wake at the blocker's time, and the watcher got it up to 128 s late.
// Time moves by setting the rounds' clock, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { deliveryHost } from "./state";

describe("a reader's flush that delivers a blocker and then stops", () => {
  it("leaves the events behind it due now: the next round ships them, in order, each once", async () => {
    const product = "flush-blocker";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      let clock = 1_000_000_000;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const transact = <T>(fn: (t: Tx) => T): T => state.storage.transactionSync(() => fn(tx()));
      // The feed: refusing every append, then (the flush) taking one and refusing the next, then taking all.
      let mode: "refuse" | "one" | "take" = "refuse";
      const took: number[] = [];
      const feed = {
        append: (_p: string, _j: string, events: FeedAppend[]) => {
          if (mode === "refuse") return Promise.reject(new Error("Durable Object storage full"));
          if (mode === "one") mode = "refuse";
          took.push(...events.map((e) => e.sourceSeq ?? -1));
          return Promise.resolve(events.length);
        },
      };
      const feedEnv = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
      const host = deliveryHost(product, sql, {
        env: feedEnv,
        appendFeeds: (b) => appendFeeds(feedEnv, product, b),
        now: () => clock,
        transact,
      });
      transact((t) => {
        for (let n = 1; n <= 3; n++) enqueueEvent(t, "job_f", "log", { lines: [`line ${n}`] });
        wantFeed(t, "job_f");
      });
      const firstRetry = () =>
        sql.exec<{ next_at: number }>("SELECT next_at FROM outbox_retries ORDER BY seq LIMIT 1").one().next_at;
      // Rounds at the wakes asked for until the first event's retry is a minute or more away (its 6th try: 64 s).
      for (let n = 0; n < 20; n++) {
        const o = await deliverOutbox(host, 0);
        if (firstRetry() - clock >= 60_000) break;
        clock = Math.max(clock + 1_000, o.wakeAt ?? 0);
      }
      const blockedUntil = firstRetry() - clock;
      // A reader opens the feed: its flush delivers the first event, the feed refuses the second, the flush stops.
      mode = "one";
      const units = { sql, productId: product, transact } as unknown as Units;
      const flushed = await new OutboxShipper(feedEnv, units, async () => {}).flushFeed("job_f");
      // The feed takes events again: the next round — the alarm's, a second on — ships the rest.
      mode = "take";
      clock += 1_000;
      const round = await deliverOutbox(host, 0);
      const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
      return { blockedUntil, flushed, settled: round.settled, left, took };
    });
    expect(out.blockedUntil).toBeGreaterThanOrEqual(60_000);
    expect(out.flushed).toBe(false);
    expect(out).toMatchObject({ settled: 2, left: 0, took: [1, 2, 3] });
  });

  it.each([
    // The retry rows' tries, by seq: the first event's 6th; the two behind it refused once, or never tried.
    ["refused once and moved up behind it", "flush-blocker-wake-retried", [6, 1, 1]],
    ["never tried", "flush-blocker-wake-fresh", [6]],
  ] as const)("brings the shipper's wake from the blocker's old retry time to the alarm's next round: events behind it %s", async (_what, product, tries) => {
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const transact = <T>(fn: (t: Tx) => T): T =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
      const now = Date.now();
      transact((t) => {
        for (let n = 1; n <= 3; n++) enqueueEvent(t, "job_w", "log", { lines: [`line ${n}`] });
        wantFeed(t, "job_w");
      });
      // As refusing rounds leave them (outbox/retries scheduleRetry): the first event's 6th try a minute away; the
      // ones behind it refused once long ago and moved up to its time, or written since and never tried.
      for (const [i, attempts] of tries.entries()) {
        const [seq, failedAt] = [i + 1, i === 0 ? now - 1_000 : now - 200_000];
        sql.exec(
          "INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (?, ?, ?, 'full', 'job_w', ?)",
          seq,
          attempts,
          now + 63_000,
          failedAt,
        );
        sql.exec("UPDATE outbox SET retrying = 1 WHERE seq = ?", seq);
      }
      let calls = 0;
      const feed = {
        append: (_p: string, _j: string, events: FeedAppend[]) =>
          ++calls === 1 ? Promise.resolve(events.length) : Promise.reject(new Error("Durable Object reset")),
      };
      const feedEnv = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
      let armed = 0;
      const units = { sql, productId: product, transact } as unknown as Units;
      const shipper = new OutboxShipper(feedEnv, units, async () => {
        armed++;
      });
      await shipper.deliver(); // nothing due: the wake is the first event's retry time
      const before = shipper.dueAt(now);
      const flushed = await shipper.flushFeed("job_w");
      const after = shipper.dueAt(now);
      return { before: (before ?? 0) - now, flushed, after: (after ?? 0) - now, armed, calls };
    });
    expect(out.before).toBeGreaterThanOrEqual(60_000);
    expect(out).toMatchObject({ flushed: false, calls: 2, after: 1_000, armed: 2 });
  });

  it("a whole flush too: an event written while it ran, held behind the blocker by that write's round, is due at the alarm's next round", async () => {
    const product = "flush-blocker-whole";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const transact = <T>(fn: (t: Tx) => T): T =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now: Date.now() }));
      const now = Date.now();
      transact((t) => {
        wantFeed(t, "job_x"); // a reader watches: its events are due at once, no hold
        enqueueEvent(t, "job_x", "log", { lines: ["line 1"] });
      });
      // The first event waits for its 6th try, a minute away.
      sql.exec(
        "INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at) VALUES (1, 6, ?, 'full', 'job_x', ?)",
        now + 63_000,
        now - 1_000,
      );
      sql.exec("UPDATE outbox SET retrying = 1 WHERE seq = 1");
      const units = { sql, productId: product, transact } as unknown as Units;
      let armed = 0;
      const took: number[] = [];
      let shipper: OutboxShipper | undefined;
      const feed = {
        append: async (_p: string, _j: string, events: FeedAppend[]) => {
          if (took.length === 0) {
            // While the flush's call is out, the job writes its last event; that unit's round finds it behind the
            // blocker (not yet acknowledged), sends nothing and leaves the wake at the blocker's retry time.
            transact((t) => enqueueEvent(t, "job_x", "log", { lines: ["line 2"] }));
            await shipper!.deliver();
          }
          took.push(...events.map((e) => e.sourceSeq ?? -1));
          return events.length;
        },
      };
      const feedEnv = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
      shipper = new OutboxShipper(feedEnv, units, async () => {
        armed++;
      });
      const flushed = await shipper.flushFeed("job_x");
      const left = sql.exec<{ seq: number }>("SELECT seq FROM outbox").toArray();
      return { flushed, took, left, due: (shipper.dueAt(now) ?? 0) - now, armedAfterFlush: armed };
    });
    // The flush shipped what was pending when it began; the later event is left to the loop, due at its next round.
    expect(out).toMatchObject({ flushed: true, took: [1], left: [{ seq: 2 }] });
    expect(out.due).toBe(1_000);
    expect(out.armedAfterFlush).toBe(2); // the write's round's, then the flush's own
  });
});
