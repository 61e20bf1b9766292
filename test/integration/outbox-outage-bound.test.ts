// A round in which every destination failed is ridden out as an outage (no try counted) only for a while: two jobs'
// feeds that refuse for good in an otherwise quiet product were an "outage" every round, never tried against, so
// their events were never dead-lettered and the jobs' REST events page, artifact commit and deletion answered 503
// for ever. Now they are dead-lettered once the outage has lasted past the retry schedule's horizon
// (core/delivery-outage), every event of both jobs, the coordinator restarted before each round (the outage's start
// is kept in SQLite) — while a real outage (every destination failing for a minute) dead-letters nothing; and one
// that a reader's flush ended (its feeds took the events) is forgotten, so a later one is ridden out afresh. Time moves by setting the round's clock, never by waiting.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { deadLetteredBy, OUTAGE_HORIZON_MS } from "../../src/core/delivery-outage.ts";
import { deliverOutbox } from "../../src/durable-objects/coordinator/outbox/delivery.ts";
import { appendFeeds } from "../../src/durable-objects/coordinator/outbox/feed-append.ts";
import { wantFeed } from "../../src/durable-objects/coordinator/outbox/feed-wanted.ts";
import { enqueueAudit, enqueueEvent } from "../../src/durable-objects/coordinator/outbox/records.ts";
import { OutboxShipper } from "../../src/durable-objects/coordinator/outbox/shipper.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { deliveryHost } from "./state";

const refused = () => Promise.reject(new Error("Durable Object storage full"));
/** An env whose job feeds all refuse every append, and whose history queue refuses too when `queueDown`. */
const failing = (queueDown: boolean) =>
  ({
    ...env,
    JOB_FEED: { getByName: () => ({ append: refused }) },
    ...(queueDown ? { HISTORY_QUEUE: { send: refused } } : {}),
  }) as unknown as Env;

interface Run {
  /** The env the rounds see at `clock` (ms). */
  envAt(clock: number): Env;
  /** Records to write before the first round. */
  write(tx: Tx): void;
  /** Stop once this much time (ms) has passed since the first round. */
  forMs: number;
}

/** Rounds as the shipper runs them — its outage backoff and wake-ups obeyed — each by a new coordinator instance. */
async function rounds(product: string, run: Run) {
  return runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
    const sql = state.storage.sql;
    sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
    const start = 1_000_000_000;
    let clock = start;
    const tx = (): Tx => ({ sql, productId: product, now: clock });
    state.storage.transactionSync(() => run.write(tx()));
    const count = (q: string) => sql.exec<{ n: number }>(q).one().n;
    let outageRounds = 0;
    while (clock - start < run.forMs && count("SELECT count(*) AS n FROM outbox WHERE kind = 'event'") > 0) {
      const e = run.envAt(clock);
      const host = deliveryHost(product, sql, {
        env: e,
        appendFeeds: (batches) => appendFeeds(e, product, batches),
        now: () => clock,
        transact: (fn) => state.storage.transactionSync(() => fn(tx())),
      });
      const out = await deliverOutbox(host, outageRounds);
      outageRounds = out.backoffUntil === undefined ? 0 : outageRounds + 1;
      clock = Math.max(clock + 1_000, out.backoffUntil ?? 0, out.wakeAt ?? 0);
    }
    const dead = sql
      .exec<{ source: string; at: number }>("SELECT source, at FROM dead_letters ORDER BY at")
      .toArray()
      .map((d) => ({ source: d.source, after: d.at - start }));
    // What a REST events page, an artifact commit or deletion of job_a asks first (outbox/shipper `flushFeed`): false
    // is their 503 unavailable.
    const units = {
      sql,
      productId: product,
      transact: (fn: (t: Tx) => unknown) => state.storage.transactionSync(() => fn(tx())),
    };
    const flushed = await new OutboxShipper(run.envAt(clock), units as unknown as Units, async () => {}).flushFeed(
      "job_a",
    );
    return { dead, flushed, events: count("SELECT count(*) AS n FROM outbox WHERE kind = 'event'"), start };
  });
}

describe("two jobs' feeds that refuse for good, in a quiet product", () => {
  it("have every event dead-lettered once the outage outlasts the retry horizon, across restarts", async () => {
    const out = await rounds("outage-bound-feeds", {
      envAt: () => failing(false),
      write: (tx) => {
        for (const job of ["job_a", "job_b"]) {
          enqueueEvent(tx, job, "job.submitted");
          enqueueEvent(tx, job, "log", { lines: ["one"] });
          enqueueEvent(tx, job, "log", { lines: ["two"] });
          wantFeed(tx, job); // read (a REST page answered 503): due at once, both in every round, no feed slot waited for
        }
      },
      forMs: 6 * 3_600_000,
    });
    expect(out.events).toBe(0);
    expect(out.flushed).toBe(true); // its REST events page answers again
    expect(out.dead.map((d) => d.source)).toEqual(Array(6).fill("outbox:event"));
    for (const d of out.dead) {
      expect(d.after).toBeGreaterThanOrEqual(OUTAGE_HORIZON_MS);
      expect(d.after).toBeLessThanOrEqual(deadLetteredBy(0, 1_000));
    }
  });
});

describe("a real outage: every destination failing for a minute", () => {
  it("dead-letters nothing: everything goes once it ends", async () => {
    const out = await rounds("outage-bound-minute", {
      envAt: (clock) => (clock < 1_000_000_000 + 60_000 ? failing(true) : env),
      write: (tx) => {
        enqueueEvent(tx, "job_a", "job.submitted");
        enqueueEvent(tx, "job_b", "job.submitted");
        wantFeed(tx, "job_a");
        wantFeed(tx, "job_b");
        enqueueAudit(tx, "op", "job.create", "job_a");
      },
      forMs: 3_600_000,
    });
    expect(out).toMatchObject({ dead: [], events: 0 });
  });
});

describe("an outage a reader's flush ended", () => {
  it("is forgotten: a later one, past the first one's horizon, is ridden out afresh", async () => {
    const product = "outage-bound-flushed";
    const out = await runInDurableObject(env.COORDINATOR.getByName(product), async (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("INSERT OR REPLACE INTO meta(key, value) VALUES ('product_id', ?)", product);
      let clock = 1_000_000_000;
      const tx = (): Tx => ({ sql, productId: product, now: clock });
      const transact = <T>(fn: (t: Tx) => T): T => state.storage.transactionSync(() => fn(tx()));
      const write = () =>
        transact((t) => {
          for (const job of ["job_a", "job_b"]) {
            enqueueEvent(t, job, "log", { lines: [`at ${clock}`] });
            wantFeed(t, job);
          }
        });
      const round = () => {
        const e = failing(false);
        return deliverOutbox(
          deliveryHost(product, sql, {
            env: e,
            appendFeeds: (b) => appendFeeds(e, product, b),
            now: () => clock,
            transact,
          }),
          0,
        );
      };
      write();
      const first = await round(); // both feeds refuse: an outage begins
      const units = { sql, productId: product, transact } as unknown as Units;
      const shipper = new OutboxShipper(env, units, async () => {});
      const flushed = [await shipper.flushFeed("job_a"), await shipper.flushFeed("job_b")]; // the feeds take them
      clock += OUTAGE_HORIZON_MS + 10_000;
      write();
      const later = await round(); // both refuse again: a new outage, not the first one's tail
      const counted = sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox_retries WHERE attempts > 0").one().n;
      return { first: first.backoffUntil !== undefined, flushed, later: later.backoffUntil !== undefined, counted };
    });
    expect(out).toEqual({ first: true, flushed: [true, true], later: true, counted: 0 });
  });
});
