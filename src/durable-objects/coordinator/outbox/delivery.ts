/**
 * @module durable-objects/coordinator/outbox/delivery
 * Delivery rounds over the coordinator's outbox: each round (outbox/delivery-round) sends the due records — job feed
 * events to their JobFeeds, history and webhook records to their queues — and settles, retries or dead-letters them;
 * one call runs rounds until the outbox is empty, nothing more can go now, or its time budget is spent
 * (DELIVERY_LOOP_MS). What a round needs from its coordinator (DeliveryHost) and what it answers are declared here.
 */
import { retryDelayMs } from "../../../core/delivery-retry.ts";
import type { FeedBudget } from "../../../core/feed-budget.ts";
import type { Tx } from "../runtime/tx.ts";
import { deliverRound } from "./delivery-round.ts";
import type { FeedBatch, FeedBatchResult } from "./feed-append.ts";
import { hasPending, outboxWrites } from "./pending.ts";
import type { QueueHealth } from "./queue-health.ts";
import { roundWake } from "./wake.ts";

export { deliverRound } from "./delivery-round.ts";
export { QueueHealth } from "./queue-health.ts";
export { MESSAGE_BYTES, OUTBOX_BATCH } from "./round-plan.ts";

/**
 * How long one delivery call goes on running rounds while they still settle something (ms); what is left then is
 * due at once, in a call of its own. Why: the feed budget opens new feeds at a pace (core/feed-budget, one per 40 ms),
 * and a round slower than that (a new feed object, thousands of due rows planned, a loaded box) opens one more each
 * time — a backlog of 1,500 brand-new feeds kept one call going at a feed a round for minutes (~110–175 s on a loaded
 * box), while the alarm awaited it and every alarm due meanwhile (a cancel cascade's next chunk, a lease's expiry)
 * waited behind it: the runtime runs an alarm set during a running one only after it ends.
 */
export const DELIVERY_LOOP_MS = 1_000;

/** What a round needs from the coordinator that runs it. */
export interface DeliveryHost {
  env: Env;
  productId: string;
  sql: SqlStorage;
  feeds: FeedBudget;
  /** What the coordinator saw of each queue it sends to, across rounds. */
  queues: QueueHealth;
  /** Whether D1 history is held at `now` (ms): the coordinator is loaded (core/history-hold `historyLoaded`). */
  historyHeld(now: number): boolean;
  /** How long a queue send is waited for (ms; call-bound QUEUE_SEND_MS if not given — a test sets it short). */
  sendMs?: number;
  /** Appends to job feeds (feed-append): one call per round, a result per job. */
  appendFeeds(batches: FeedBatch[]): Promise<FeedBatchResult[]>;
  now(): number;
  /** Runs `fn` as one atomic unit (a synchronous SQLite transaction). */
  transact<T>(fn: (tx: Tx) => T): T;
}

export interface RoundResult {
  /** Records delivered (acknowledged) or dead-lettered this round. */
  settled: number;
  /** Records whose delivery failed this round. */
  failed: number;
  /** Due feed events left for a later round: their feed found no slot in the FeedBudget. */
  deferred: number;
  /**
   * Every destination tried failed, in an outage younger than its horizon (core/delivery-outage): back off the whole
   * outbox, count nothing. Past the horizon such a round is judged as any other.
   */
  outage: boolean;
  /** In an outage round: the jobs whose feeds it tried, every one refusing (the outage probe's evidence). */
  refusedFeeds?: string[];
  /** Due records of a queue that refuses were left unsent: it is asked again at this instant (ms; QueueHealth). */
  askAt?: number;
  /** When the round read what was due (ms), and whether D1 history was held then: what it left for a hold. */
  plannedAt: number;
  historyHeld: boolean;
  /** The round was cut short by one of its limits (round-plan): records past it may be due at once. */
  more: boolean;
}

export interface DeliveryOutcome {
  /** Records delivered or dead-lettered. */
  settled: number;
  /** Set after an outage: deliver nothing before this instant (ms). */
  backoffUntil?: number;
  /** With `backoffUntil`: the jobs whose feeds the outage round tried, every one refusing (outbox/outage-probe). */
  refusedFeeds?: string[];
  /** When undelivered records are next worth a round (ms): a retry due, a feed slot freed, or now (the call's budget
   * ran out, DELIVERY_LOOP_MS, its last round cut short by a limit). */
  wakeAt?: number;
}

/**
 * Rounds until the outbox is empty, nothing more can go now, or DELIVERY_LOOP_MS after `startedAt` (ms, host clock;
 * default: the call's start) with records left — then they are due at once (`wakeAt` now) if the last round was cut
 * short by a limit or records were written since it read what was due, else when they are due (`roundWake`): said
 * "now", records waiting for a retry got a round at once that sent nothing, and the alarm's a second later.
 * @param outageRounds consecutive outage rounds before this call (grows the outage backoff)
 */
export async function deliverOutbox(
  host: DeliveryHost,
  outageRounds: number,
  startedAt: number = host.now(),
): Promise<DeliveryOutcome> {
  let settled = 0;
  for (;;) {
    const written = outboxWrites(host.sql);
    const round = await deliverRound(host);
    settled += round.settled;
    const refusedFeeds = round.refusedFeeds ?? [];
    if (round.outage) return { settled, backoffUntil: host.now() + retryDelayMs(outageRounds + 1), refusedFeeds };
    if (round.settled > 0 && host.now() - startedAt < DELIVERY_LOOP_MS) continue;
    if (round.settled > 0 && hasPending(host.sql)) {
      const dueNow = round.more || outboxWrites(host.sql) > written; // a unit's, its loop asked for: no time known
      return { settled, wakeAt: dueNow ? host.now() : roundWake(host, round, host.now()) };
    }
    if (!hasPending(host.sql)) {
      host.queues.outageOver(host.sql);
      return { settled };
    }
    // Deferred events wait for a feed slot (freed within FEED_IDLE_MS); failed records for their retry time; held
    // events and history for the end of their hold.
    return { settled, wakeAt: roundWake(host, round, host.now()) };
  }
}
