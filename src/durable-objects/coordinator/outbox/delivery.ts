/**
 * @module durable-objects/coordinator/outbox/delivery
 * Delivery rounds over the coordinator's outbox: each round sends the due records — job feed events to their JobFeeds,
 * history and webhook records to their queues — and settles, retries or dead-letters them; one call runs rounds until
 * the outbox is empty, nothing more can go now, or its time budget is spent (DELIVERY_LOOP_MS).
 */
import { blamesRecord, retryDelayMs } from "../../../core/delivery-retry.ts";
import type { FeedBudget } from "../../../core/feed-budget.ts";
import type { FeedAppend } from "../../job-feed.ts";
import type { Tx } from "../runtime/tx.ts";
import { deadLetterRecord } from "./dead-letters.ts";
import type { FeedBatch, FeedBatchResult } from "./feed-append.ts";
import { hasPending, outboxWrites } from "./pending.ts";
import type { QueueHealth } from "./queue-health.ts";
import { ackSeqs, type EventRecord, type OutboxRecord, stillQueued } from "./records.ts";
import { buryRefusedBehind } from "./refused-feed.ts";
import { recordFailure, waitForQueue } from "./retries.ts";
import { planRound, probeQueue, type Unit } from "./round-plan.ts";
import { roundWake } from "./wake.ts";

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

interface Failure {
  record: OutboxRecord;
  error: string;
  /** The queue that refused it; undefined for a feed append. */
  queue?: Unit["queue"];
}

/** One delivery round over the due records. */
export async function deliverRound(host: DeliveryHost): Promise<RoundResult> {
  const plannedAt = host.now();
  const { feeds, history: planned, oversized, deferred, historyHeld, more } = planRound(host, plannedAt);
  const plan = { deferred, plannedAt, historyHeld, more };
  if (feeds.length + planned.length + oversized.length === 0) return { settled: 0, failed: 0, outage: false, ...plan };
  // A queue that took nothing last round is asked with its first message only, once its refused record's wait is over:
  // the rest stay due, unsent and not failed, and go once it takes that one (the round then settles it, and the next
  // one runs). Every due waiting record had been sent alone, each round — up to 200 refused sends a round.
  const asked = new Set<string>();
  const history = planned.filter((u) => {
    if (!host.queues.refusing(host.sql, u.queue)) return true;
    if (asked.has(u.queue) || host.queues.askedAgainAt(host.sql, u.queue, host.now()) !== undefined) return false;
    asked.add(u.queue);
    return true;
  });
  const delivered: number[] = [];
  const failures: Failure[] = [];
  /** The queues that took a message this round. */
  const took = new Set<string>();
  const batches: FeedBatch[] = feeds.map((records) => ({
    jobId: feedKey(records[0]!),
    events: records.map(toAppend),
    oneByOne: records.some((r) => r.attempts > 0),
  }));
  const [results] = await Promise.all([
    batches.length === 0
      ? []
      : host
          .appendFeeds(batches)
          .catch((err: unknown) => batches.map((b) => ({ jobId: b.jobId, delivered: 0, error: String(err) }))),
    ...history.map((u) =>
      u.send().then(
        () => {
          delivered.push(...u.records.map((r) => r.seq));
          took.add(u.queue);
        },
        (err: unknown) => failures.push(...u.records.map((record) => ({ record, error: String(err), queue: u.queue }))),
      ),
    ),
  ]);
  results.forEach((res, i) => {
    const records = feeds[i]!;
    delivered.push(...records.slice(0, res.delivered).map((r) => r.seq));
    if (res.error === undefined) return;
    // Sent one by one, only the record that failed is counted; its later events were not tried. Sent in calls (outbox/
    // feed-append FEED_CALL_BYTES), the ones the feed took are delivered: the failed call's and the later ones count.
    const failed = batches[i]!.oneByOne
      ? records.slice(res.delivered, res.delivered + 1)
      : records.slice(res.delivered);
    failures.push(...failed.map((record) => ({ record, error: res.error ?? "" })));
  });
  // Counted as planned: a round that asked a refusing queue once is an outage as the round of all its messages was.
  // Ridden out only while young (core/delivery-outage): two feeds refusing for good in a quiet product look the same.
  // Destinations, not messages: a queue down alone is one, however many of its messages were due (it waits at its own
  // backoff: QueueHealth). Counted by message, two refused history records were an outage, and the whole outbox was
  // backed off up to 128 s at a time for as long as the queue was down — a watched job's live feed events with it.
  const destinations = feeds.length + new Set(planned.map((u) => u.queue)).size;
  const allFailed = delivered.length === 0 && failures.length > 0 && destinations > 1;
  const outage = allFailed && host.transact((tx) => host.queues.outage(tx.sql, host.now()));
  // A quiet product's refused history message or webhook delivery may be the only one its queue was sent this round,
  // and no other may follow before its retry: a message its consumer acknowledges, writing and sending nothing, asks
  // whether the queue is up (round-plan `probeQueue`). Taken, the refusal was the record's (core/delivery-retry
  // `blamesRecord`); else it waits, unblamed. Webhooks had no probe: such a delivery was retried every 5 min for ever.
  const unsure = new Set(outage ? [] : failures.flatMap((f) => (f.queue && !took.has(f.queue) ? [f.queue] : [])));
  for (const queue of unsure) if (await probeQueue(host, queue)) took.add(queue);
  const now = host.now();
  // A queue refused records and took nothing this round: unless it took something since a record last failed, the
  // record is not blamed (core/delivery-retry `blamesRecord`), and waits as long as the queue has been refusing.
  const waits = new Map<string, number>();
  if (!outage)
    for (const f of failures)
      if (f.queue !== undefined && !took.has(f.queue) && !waits.has(f.queue))
        waits.set(f.queue, host.queues.refusedRound(host.sql, f.queue, now));
  const blamed = (f: Failure) =>
    f.queue === undefined ||
    blamesRecord(took.has(f.queue), host.queues.lastTookAt(host.sql, f.queue), f.record.failedAt);
  const buried = host.transact((tx) => {
    for (const { record, reason } of oversized) deadLetterRecord(tx, record, reason, record.attempts);
    ackSeqs(tx.sql, delivered);
    if (delivered.length > 0) host.queues.outageOver(tx.sql);
    if (outage) return 0; // then nothing was taken either
    // A failed record a reader's flush delivered meanwhile (shipper `flushFeed`) is gone: retrying it would leave
    // a retry row holding the job's later events back, and dead-lettering it would alert on a delivered record.
    const queued = stillQueued(
      tx.sql,
      failures.map((f) => f.record.seq),
    );
    const failed = failures.filter((f) => queued.has(f.record.seq));
    for (const f of failed) if (!blamed(f)) waitForQueue(tx, f.record, f.error, waits.get(f.queue ?? "") ?? 0);
    const dead = failed.filter((f) => blamed(f) && recordFailure(tx, f.record, f.error).kind === "dead_letter");
    // A feed that refused an event through all its tries: the job's later events it refused go with it.
    const behind = dead.reduce((n, f) => n + buryRefusedBehind(tx, f.record), 0);
    for (const q of took) host.queues.took(tx.sql, q, now);
    return dead.length + behind;
  });
  const done = host.now();
  for (const b of batches) host.feeds.touch(b.jobId, done);
  const askAt = Math.min(
    ...planned.map((u) => host.queues.askedAgainAt(host.sql, u.queue, done) ?? Number.POSITIVE_INFINITY),
  );
  const settled = delivered.length + oversized.length + buried;
  const refused = outage ? { refusedFeeds: batches.map((b) => b.jobId) } : {};
  const asks = Number.isFinite(askAt) ? { askAt } : {};
  return { settled, failed: failures.length, outage, ...plan, ...refused, ...asks };
}

/** An event record as its feed takes it (JobFeed `append`), its outbox seq the feed's dedup key. */
export function toAppend(r: EventRecord): FeedAppend {
  const { type, at, data } = r.body;
  return {
    sourceSeq: r.seq,
    // Defensive still: a cut record keeps its scalars, but its `data` may be a marker (outbox/records `Stored`).
    type: typeof type === "string" ? type : "unknown",
    at: typeof at === "number" ? at : 0,
    data: data !== null && typeof data === "object" ? data : {},
  };
}

function feedKey(r: EventRecord): string {
  return String(r.body.jobId ?? "");
}
