// Past an outage's horizon, a round's 200 feeds are not all taken by jobs whose events wait for a retry: a job whose
// first pending event waits for its retry has nothing due (a feed keeps its order), so it is passed over — neither
// one of the round's OUTBOX_BATCH feeds nor a feed slot of the budget — and a healthy job's event behind 200 of them
// in the outbox goes in the first round. It waited for their retry times (a minute here, up to 128 s), and when those
// refused again, until they were dead-lettered. At their retry time they are all due again, at once, in the wake's
// round. Time is the rounds' clock, set, never waited for.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FeedBudget } from "../../src/core/feed-budget.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OUTBOX_BATCH } from "../../src/durable-objects/coordinator/outbox/round-plan.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { FeedAppend } from "../../src/durable-objects/job-feed.ts";
import { deliveryHost } from "./state";

describe("jobs waiting for a retry, a round's whole feed batch of them, ahead of a healthy job", () => {
  it.each([
    ["open (refused in the last rounds)", "blocked-feeds-batch-open", true],
    ["new to the feed budget", "blocked-feeds-batch-new", false],
  ] as const)("feeds %s: the healthy job's event goes in the first round", async (_what, product, open) => {
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      const written = 1_000_000_000;
      let clock = written;
      const transact = <T>(fn: (t: Tx) => T): T =>
        state.storage.transactionSync(() => fn({ sql, productId: product, now: clock }));
      const blocked = Array.from({ length: OUTBOX_BATCH }, (_, n) => `blocked_${String(n).padStart(3, "0")}`);
      transact((t) => {
        for (const job of blocked) enqueueEvent(t, job, "log", { lines: ["refused"] });
      });
      clock += 1;
      transact((t) => enqueueEvent(t, "healthy", "log", { lines: ["fine"] }));
      // Each blocked job's event was refused three times; its next try is a minute away.
      sql.exec(
        `INSERT INTO outbox_retries(seq, attempts, next_at, last_error, job_id, failed_at)
         SELECT seq, 3, ?, 'refused', job_id, ? FROM outbox WHERE job_id LIKE 'blocked_%'`,
        written + 70_000,
        written + 10_000,
      );
      sql.exec("UPDATE outbox SET retrying = 1 WHERE job_id LIKE 'blocked_%'");
      clock = written + 10_000; // past the feed hold
      const feeds = new FeedBudget();
      if (open) for (const job of blocked) feeds.touch(job, clock);
      const took: string[] = [];
      const feed = {
        append: (_p: string, job: string, events: FeedAppend[]) => {
          took.push(...events.map(() => job));
          return Promise.resolve(events.length);
        },
      };
      const feedEnv = { ...env, JOB_FEED: { getByName: () => feed } } as unknown as Env;
      const host = {
        ...deliveryHost(product, sql, {
          env: feedEnv,
          appendFeeds: (b) => appendFeeds(feedEnv, product, b),
          now: () => clock,
          transact,
        }),
        feeds,
      };
      const round = await deliverOutbox(host, 0);
      const left = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
      const first = { settled: round.settled, took: [...took], left, wakeIn: (round.wakeAt ?? 0) - clock };
      // At their retry, all at once (passed over, they were parked until then: outbox/due-rows `parkBlockedJob`),
      // their feeds open: the wake's round takes every one of them.
      clock = written + 70_000;
      for (const job of blocked) feeds.touch(job, clock);
      took.length = 0;
      const ripe = await deliverOutbox(host, 0);
      const after = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
      return { ...first, ripe: { settled: ripe.settled, jobs: new Set(took).size, left: after } };
    });
    expect(out).toMatchObject({ settled: 1, took: ["healthy"], left: OUTBOX_BATCH });
    expect(out.wakeIn).toBe(60_000); // then the blocked jobs' retries: no poll meanwhile
    expect(out.ripe).toEqual({ settled: OUTBOX_BATCH, jobs: OUTBOX_BATCH, left: 0 });
  });
});
