/**
 * @module durable-objects/coordinator/outbox/feed-flush
 * A reader's flush of one job's feed (outbox/shipper `flushFeed`): every event of the job pending when it starts,
 * shipped in order to its JobFeed, FLUSH_EVENTS per call, those waiting for a retry included — and acknowledged.
 */
import type { FeedBudget } from "../../../core/feed-budget.ts";
import type { Units } from "../runtime/units.ts";
import { toAppend } from "./delivery-round.ts";
import { heldEvents, lastHeldSeq, parseRow } from "./due-rows.ts";
import { appendFeeds } from "./feed-append.ts";
import type { QueueHealth } from "./queue-health.ts";
import { ackSeqs, type EventRecord } from "./records.ts";
import { releaseBlocked } from "./retries.ts";

/** A job's events one feed call of a flush carries at most: a longer log goes in several, in order. */
const FLUSH_EVENTS = 1_000;
/**
 * How long a flush goes on calling the feed for one job's events (ms); what is left then goes with the loop.
 * Far inside blockConcurrencyWhile's 30 s (an artifact commit flushes inside its exclusive section), and far more
 * than a job's events held for FEED_HOLD_MS take: 2,100 chatty frames on a slow box held ~3,000.
 */
const FLUSH_BUDGET_MS = 5_000;

/**
 * What a flush uses of the shipper: the Worker's env, the units, the feed budget and queue health it keeps, how long a
 * feed call is waited for (ms; outbox/feed-append FEED_CALL_MS), and the instant (ms since the epoch) by which its
 * caller must have its answer, if it has one (an artifact commit, inside its exclusive section): no call outlasts it.
 */
export interface FlushParts {
  env: Env;
  units: Units;
  feeds: FeedBudget;
  queues: QueueHealth;
  callMs: number;
  by?: number;
}

export interface FlushResult {
  whole: boolean;
  took: boolean;
  unblocked: boolean;
}

/**
 * Ships `jobId`'s events pending at its start (outbox/shipper `flushFeed` says why each rule). A retried event goes
 * alone, as in a round; the fresh ones after it in one call. Stops early at a failure, past FLUSH_BUDGET_MS, or at
 * `parts.by` — a call still out then counts as failed (the events stay pending, for the loop).
 * @returns `whole`: every event pending at its start went; `took`: the feed took some (an outage is over);
 *   `unblocked`: it delivered events that waited for a retry (those behind them were put back at their own retry
 *   times: outbox/retries `releaseBlocked`)
 */
export async function flushJobFeed(parts: FlushParts, jobId: string): Promise<FlushResult> {
  const { env, units, feeds, queues, callMs, by = Number.POSITIVE_INFINITY } = parts;
  const started = Date.now();
  const through = lastHeldSeq(units.sql, jobId); // not the events written while it ships: those go as usual
  const out = { whole: true, took: false, unblocked: false };
  if (through === undefined) return out;
  for (;;) {
    const held = heldEvents(units.sql, jobId, through, FLUSH_EVENTS).map(parseRow) as EventRecord[];
    if (held.length === 0) return out;
    const retried = (held[0] as EventRecord).attempts > 0;
    const cut = held.findIndex((r) => r.attempts > 0 !== retried);
    const records = cut < 0 ? held : held.slice(0, cut);
    const batch = { jobId, events: records.map(toAppend), oneByOne: retried };
    const [result] = await appendFeeds(env, units.productId, [batch], callMs, by);
    feeds.touch(jobId, Date.now());
    const delivered = records.slice(0, result?.delivered ?? 0).map((r) => r.seq);
    if (delivered.length > 0)
      units.transact((tx) => {
        ackSeqs(tx.sql, delivered);
        queues.outageOver(tx.sql);
        // Delivered events that waited for a retry: those behind them wait no more for their times (one read).
        if (retried) releaseBlocked(tx.sql, jobId, tx.now);
      });
    out.took ||= delivered.length > 0;
    out.unblocked ||= retried && delivered.length > 0;
    if (delivered.length < records.length) return { ...out, whole: false };
    // Past its budget or its caller's time it stops; whole only if that last call took the last of them.
    if (Date.now() - started >= FLUSH_BUDGET_MS || Date.now() >= by)
      return { ...out, whole: heldEvents(units.sql, jobId, through, 1).length === 0 };
  }
}
