/**
 * @module durable-objects/coordinator/outbox-delivery
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
 * Feeds are called with bounded concurrency and admitted through the
 * coordinator's FeedBudget, so a burst of new jobs never opens more feed
 * objects than the runtime can hold; the others wait in the outbox.
 */
import { jsonBytes } from "../../core/bytes.ts";
import { chunkBySize } from "../../core/chunks.ts";
import { retryDelayMs, tooLargeReason } from "../../core/delivery-retry.ts";
import type { FeedBudget } from "../../core/feed-budget.ts";
import type { HistoryMessage, HistoryRecord } from "../../history/write.ts";
import type { FeedAppend } from "../job-feed.ts";
import { ackSeqs, hasPending, type OutboxRecord, peekDue } from "./outbox.ts";
import { deadLetterRecord, nextRetryAt, recordFailure } from "./outbox-dead-letters.ts";
import type { Tx } from "./tx.ts";

/** Records per delivery round: one JobFeed call per job and ≤ a few queue batches. */
export const OUTBOX_BATCH = 200;
/** Due records looked at per round, so events waiting for a feed slot do not hide the history behind them. */
const OUTBOX_SCAN = 1_000;
/** A queue message is at most 128 KB: pack records into messages of at most this many UTF-8 bytes of JSON. */
export const MESSAGE_BYTES = 100 * 1024;
/** Feed RPCs in flight at once: enough to keep a round short, few enough not to flood the runtime. */
const FEED_CONCURRENCY = 16;

export function feedName(productId: string, jobId: string): string {
  return `${productId}:${jobId}`;
}

/** What a round needs from the coordinator that runs it. */
export interface DeliveryHost {
  env: Env;
  productId: string;
  sql: SqlStorage;
  feeds: FeedBudget;
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
    // Deferred events wait for a feed slot (freed within FEED_IDLE_MS); failed records for their retry time.
    const retry = nextRetryAt(host.sql);
    const soon = host.now() + 1_000;
    return { settled, wakeAt: round.deferred > 0 || retry === undefined ? soon : Math.max(retry, soon) };
  }
}

interface Unit {
  records: OutboxRecord[];
  /** Sends all the records at once. */
  send(): Promise<unknown>;
  /** Feed units holding a retried record go one record per call and stop at the first failure. */
  oneByOne?: Array<() => Promise<unknown>>;
}

interface Failure {
  record: OutboxRecord;
  error: string;
}

/** One delivery round over the due records. */
export async function deliverRound(host: DeliveryHost): Promise<RoundResult> {
  const due = peekDue(host.sql, host.now(), OUTBOX_SCAN);
  if (due.length === 0) return { settled: 0, failed: 0, deferred: 0, outage: false };
  const { units, oversized, deferred } = plan(host, due);
  const delivered: number[] = [];
  const failures: Failure[] = [];
  let unitsOk = 0;
  await pool(units, FEED_CONCURRENCY, async (u) => {
    const steps = u.oneByOne ?? [u.send];
    const per = u.oneByOne ? 1 : u.records.length;
    for (let i = 0; i < steps.length; i++) {
      try {
        await steps[i]!();
        delivered.push(...u.records.slice(i * per, (i + 1) * per).map((r) => r.seq));
        unitsOk++;
      } catch (err) {
        failures.push(...u.records.slice(i * per, (i + 1) * per).map((record) => ({ record, error: String(err) })));
        return; // a feed stops at its first failure: its later events must not overtake it
      }
    }
  });
  const outage = unitsOk === 0 && units.length > 1;
  const buried = host.transact((tx) => {
    for (const { record, reason } of oversized) deadLetterRecord(tx, record, reason, record.attempts);
    ackSeqs(tx.sql, delivered);
    if (outage) return 0;
    return failures.filter((f) => recordFailure(tx, f.record, f.error).kind === "dead_letter").length;
  });
  const done = host.now();
  for (const u of units) if (u.records[0]?.kind === "event") host.feeds.touch(feedKey(u.records[0]), done);
  return { settled: delivered.length + oversized.length + buried, failed: failures.length, deferred, outage };
}

function plan(host: DeliveryHost, due: OutboxRecord[]) {
  const { env, productId } = host;
  const oversized: Array<{ record: OutboxRecord; reason: string }> = [];
  const envelope = jsonBytes({ kind: "history", productId, records: [] } satisfies HistoryMessage);
  const admitted = host.feeds.admit(due.filter((r) => r.kind === "event").map(feedKey), host.now());
  const feeds = new Map<string, OutboxRecord[]>();
  const fresh: OutboxRecord[] = [];
  const retried: OutboxRecord[] = [];
  let taken = 0;
  let deferred = 0;
  for (const r of due) {
    if (taken >= OUTBOX_BATCH) break;
    // Sized as it will travel: a history record inside a message, an event inside its feed's append.
    const reason = tooLargeReason(
      jsonBytes(r.kind === "event" ? toAppend(r) : toHistory(productId, r)) + envelope,
      MESSAGE_BYTES,
    );
    if (reason) {
      oversized.push({ record: r, reason });
      continue;
    }
    if (r.kind === "event") {
      const key = feedKey(r);
      if (!admitted.has(key)) {
        deferred++; // waits for a feed slot; not a failure
        continue;
      }
      feeds.set(key, [...(feeds.get(key) ?? []), r]);
    } else (r.attempts > 0 ? retried : fresh).push(r);
    taken++;
  }
  const units: Unit[] = [];
  for (const [jobId, records] of feeds) {
    const stub = () => env.JOB_FEED.getByName(feedName(productId, jobId));
    const send = () => stub().append(productId, jobId, records.map(toAppend));
    const retrying = records.some((r) => r.attempts > 0);
    const oneByOne = retrying ? records.map((r) => () => stub().append(productId, jobId, [toAppend(r)])) : undefined;
    units.push({ records, send, oneByOne });
  }
  // Fresh history records travel packed; a record that failed before travels alone, so a poison one fails alone.
  const sizeOf = (r: OutboxRecord) => jsonBytes(toHistory(productId, r)) + 1;
  for (const group of [
    ...chunkBySize(fresh, { maxBytes: MESSAGE_BYTES - envelope }, sizeOf),
    ...retried.map((r) => [r]),
  ]) {
    // JSON content: the size the queue counts is then exactly the UTF-8 bytes measured here.
    const send = () => env.HISTORY_QUEUE.send(message(productId, group), { contentType: "json" });
    units.push({ records: group, send });
  }
  return { units, oversized, deferred };
}

function message(productId: string, records: OutboxRecord[]): HistoryMessage {
  return { kind: "history", productId, records: records.map((r) => toHistory(productId, r)) };
}

function toHistory(productId: string, r: OutboxRecord): HistoryRecord {
  return { productId, seq: r.seq, kind: r.kind as HistoryRecord["kind"], body: r.body };
}

function toAppend(r: OutboxRecord): FeedAppend {
  const { type, at, data } = r.body as { type?: unknown; at?: unknown; data?: unknown };
  return {
    sourceSeq: r.seq,
    type: typeof type === "string" ? type : "unknown",
    at: typeof at === "number" ? at : 0,
    data: data !== null && typeof data === "object" ? (data as Record<string, unknown>) : {},
  };
}

function feedKey(r: OutboxRecord): string {
  return String(r.body.jobId ?? "");
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}
