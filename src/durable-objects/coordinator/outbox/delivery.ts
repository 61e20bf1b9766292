/**
 * @module durable-objects/coordinator/outbox/delivery
 * Ships the outbox: feed events to each job's JobFeed (grouped, one RPC per
 * job per round, deduplicated there by outbox seq) and history records to the
 * history queue (→ D1). Each record is acknowledged on its own once its
 * destination took it; every receiver is idempotent, so a retry is harmless.
 *
 * One undeliverable record never holds the others back: a failed record gets
 * its own retry schedule and is sent alone from then on (so a poison record
 * fails alone, and is dead-lettered after its last try), a record too large for
 * any message is dead-lettered at once, and the records behind it flow on. A
 * round in which every destination failed is an outage, not poison: nothing is
 * counted against the records, the whole outbox just backs off.
 *
 * A job's feed events are held up to the feed hold to be coalesced into one
 * append, unless a reader wants its feed (core/feed-hold). Feeds are called
 * with bounded concurrency and admitted through the coordinator's FeedBudget,
 * so a burst of new jobs never opens more feed objects than the runtime can
 * hold; the others wait in the outbox.
 */
import { jsonBytes } from "../../../core/bytes.ts";
import { chunkBySize } from "../../../core/chunks.ts";
import { retryDelayMs, tooLargeReason } from "../../../core/delivery-retry.ts";
import type { FeedBudget } from "../../../core/feed-budget.ts";
import { heldUntil, holdCutoff } from "../../../core/feed-hold.ts";
import type { HistoryMessage, HistoryRecord } from "../../../history/write.ts";
import type { WebhookMessage } from "../../../worker/queues/webhooks.ts";
import type { FeedAppend } from "../../job-feed.ts";
import type { Tx } from "../runtime/tx.ts";
import { deadLetterRecord, nextRetryAt, recordFailure } from "./dead-letters.ts";
import { type DueRow, dueEvents, dueHistory, oldestHeldAt, parseRow, ripeFeedJobs } from "./due-rows.ts";
import type { FeedBatch, FeedBatchResult } from "./feed-append.ts";
import {
  ackSeqs,
  type EventRecord,
  type HistoryOutboxRecord,
  hasPending,
  type OutboxRecord,
  type WebhookRecord,
} from "./records.ts";

/** History records, and feeds (one JobFeed call each), per delivery round. */
export const OUTBOX_BATCH = 200;
/** Feed events per delivery round, over all its feeds: a job's events past this wait for the next round. */
const ROUND_EVENTS = 1_000;
/** Jobs with due events looked at per round, so those waiting for a feed slot do not hide the other feeds' jobs. */
const OUTBOX_SCAN = 1_000;
/** A queue message is at most 128 KB: pack records into messages of at most this many UTF-8 bytes of JSON. */
export const MESSAGE_BYTES = 100 * 1024;

/** What a round needs from the coordinator that runs it. */
export interface DeliveryHost {
  env: Env;
  productId: string;
  sql: SqlStorage;
  feeds: FeedBudget;
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
  /** Every destination tried failed: back off the whole outbox, count nothing. */
  outage: boolean;
}

export interface DeliveryOutcome {
  /** Records delivered or dead-lettered. */
  settled: number;
  /** Set after an outage: deliver nothing before this instant (ms). */
  backoffUntil?: number;
  /** When undelivered records are next worth a round (ms): a retry due, or a feed slot freed. */
  wakeAt?: number;
}

/**
 * Rounds until the outbox is empty or nothing more can go now.
 * @param outageRounds consecutive outage rounds before this call (grows the outage backoff)
 */
export async function deliverOutbox(host: DeliveryHost, outageRounds: number): Promise<DeliveryOutcome> {
  let settled = 0;
  for (;;) {
    const round = await deliverRound(host);
    settled += round.settled;
    if (round.outage) return { settled, backoffUntil: host.now() + retryDelayMs(outageRounds + 1) };
    if (round.settled > 0) continue;
    if (!hasPending(host.sql)) return { settled };
    // Deferred events wait for a feed slot (freed within FEED_IDLE_MS); failed records for their retry time; held
    // events for the end of their hold (core/feed-hold).
    const now = host.now();
    const soon = now + 1_000;
    const held = oldestHeldAt(host.sql, holdCutoff(now));
    const retry = nextRetryAt(host.sql);
    const due = [held === undefined ? undefined : heldUntil(held), retry].filter((t) => t !== undefined);
    if (round.deferred > 0 || due.length === 0) return { settled, wakeAt: soon };
    return { settled, wakeAt: Math.max(Math.min(...due), soon) };
  }
}

interface Unit {
  records: Array<HistoryOutboxRecord | WebhookRecord>;
  send(): Promise<unknown>;
}

interface Failure {
  record: OutboxRecord;
  error: string;
}

/** One delivery round over the due records. */
export async function deliverRound(host: DeliveryHost): Promise<RoundResult> {
  const { feeds, history, oversized, deferred } = plan(host, host.now());
  if (feeds.length + history.length + oversized.length === 0) return { settled: 0, failed: 0, deferred, outage: false };
  const delivered: number[] = [];
  const failures: Failure[] = [];
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
        () => delivered.push(...u.records.map((r) => r.seq)),
        (err: unknown) => failures.push(...u.records.map((record) => ({ record, error: String(err) }))),
      ),
    ),
  ]);
  results.forEach((res, i) => {
    const records = feeds[i]!;
    delivered.push(...records.slice(0, res.delivered).map((r) => r.seq));
    if (res.error === undefined) return;
    // Sent one by one, only the record that failed is counted; its later events were not tried.
    const failed = batches[i]!.oneByOne ? records.slice(res.delivered, res.delivered + 1) : records;
    failures.push(...failed.map((record) => ({ record, error: res.error ?? "" })));
  });
  const outage = delivered.length === 0 && failures.length > 0 && feeds.length + history.length > 1;
  const buried = host.transact((tx) => {
    for (const { record, reason } of oversized) deadLetterRecord(tx, record, reason, record.attempts);
    ackSeqs(tx.sql, delivered);
    if (outage) return 0;
    return failures.filter((f) => recordFailure(tx, f.record, f.error).kind === "dead_letter").length;
  });
  const done = host.now();
  for (const b of batches) host.feeds.touch(b.jobId, done);
  return { settled: delivered.length + oversized.length + buried, failed: failures.length, deferred, outage };
}

/**
 * What one round sends (outbox/due-rows): at most OUTBOX_BATCH feeds (of OUTBOX_SCAN jobs looked at, for those
 * waiting for a feed slot) with all their due events, and OUTBOX_BATCH history records. A body is parsed only
 * when the round takes its record, and every size is the stored text's byte count plus its envelope's — no
 * record is serialized again to be measured.
 */
function plan(host: DeliveryHost, now: number) {
  const { env, productId } = host;
  const oversized: Array<{ record: OutboxRecord; reason: string }> = [];
  const envelope = jsonBytes({ kind: "history", productId, records: [] } satisfies HistoryMessage);
  const sizes = new Map<number, number>();
  /** The record as it would travel in a history message; an event never does, but must fit one too. */
  const fits = (row: DueRow): boolean => {
    const size = historyBytes(productId, row);
    const reason = tooLargeReason(size + envelope, MESSAGE_BYTES);
    if (reason) oversized.push({ record: parseRow(row), reason });
    else sizes.set(row.seq, size);
    return !reason;
  };
  // Feed events: the jobs whose events are due (wanted by a reader, or past the hold: core/feed-hold), each
  // admitted through the FeedBudget, then all of their pending events — one append per job per round.
  const keys: string[] = [];
  let deferred = 0;
  for (const { jobId, wanted } of ripeFeedJobs(host.sql, holdCutoff(now), OUTBOX_SCAN)) {
    if (keys.length >= OUTBOX_BATCH) break;
    // A wanted feed is open already (its reader opened it) and its reader waits: it never waits for a slot.
    if (wanted) host.feeds.touch(jobId, now);
    else if (!host.feeds.admitOne(jobId, now)) {
      deferred++; // waits for a feed slot; not a failure
      continue;
    }
    keys.push(jobId);
  }
  const feeds = new Map<string, EventRecord[]>();
  for (const row of dueEvents(host.sql, now, keys, ROUND_EVENTS)) {
    if (!fits(row)) continue;
    const key = row.job_id ?? "";
    feeds.set(key, [...(feeds.get(key) ?? []), parseRow(row) as EventRecord]);
  }
  const fresh: HistoryOutboxRecord[] = [];
  const retried: HistoryOutboxRecord[] = [];
  const webhooks: WebhookRecord[] = [];
  for (const row of dueHistory(host.sql, now, OUTBOX_BATCH)) {
    if (!fits(row)) continue;
    const r = parseRow(row) as HistoryOutboxRecord | WebhookRecord;
    if (r.kind === "webhook") webhooks.push(r);
    else (r.attempts > 0 ? retried : fresh).push(r);
  }
  // Fresh history records travel packed; a record that failed before travels alone, so a poison one fails alone.
  const sizeOf = (r: HistoryOutboxRecord) => (sizes.get(r.seq) ?? 0) + 1;
  const history: Unit[] = [
    ...chunkBySize(fresh, { maxBytes: MESSAGE_BYTES - envelope }, sizeOf),
    ...retried.map((r) => [r]),
  ].map((records) => ({
    records,
    // JSON content: the size the queue counts is then exactly the UTF-8 bytes measured here.
    send: () => env.HISTORY_QUEUE.send(message(productId, records), { contentType: "json" }),
  }));
  // Webhooks go one message each to the webhook queue, which retries each with its own backoff (worker/queues/webhooks).
  const hooks: Unit[] = webhooks.map((r) => ({
    records: [r],
    send: () => env.WEBHOOK_QUEUE.send(webhookMessage(r), { contentType: "json" }),
  }));
  return { feeds: [...feeds.values()], history: [...history, ...hooks], oversized, deferred };
}

function message(productId: string, records: HistoryOutboxRecord[]): HistoryMessage {
  return { kind: "history", productId, records: records.map((r) => toHistory(productId, r)) };
}

function webhookMessage(r: WebhookRecord): WebhookMessage {
  return { kind: "webhook", productId: r.body.productId, body: r.body };
}

function toHistory(productId: string, r: HistoryOutboxRecord): HistoryRecord {
  return { productId, seq: r.seq, kind: r.kind, body: r.body };
}

/**
 * UTF-8 bytes of a record as it would travel in a history message (`toHistory`): its envelope measured, its body
 * counted by SQLite — a stored body is JSON text, so serializing the parsed body again gives the same bytes.
 */
function historyBytes(productId: string, r: DueRow): number {
  return jsonBytes({ productId, seq: r.seq, kind: r.kind, body: 0 }) - 1 + r.bytes;
}

function toAppend(r: EventRecord): FeedAppend {
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
