/**
 * @module durable-objects/coordinator/outbox/round-plan
 * What one delivery round (outbox/delivery) sends, read from the outbox (outbox/due-rows): the feeds whose
 * events are due — wanted by a reader or past the feed hold (core/feed-hold), admitted through the FeedBudget —
 * with all their pending events, and the history and webhook records due, packed into queue messages by bytes.
 */
import { jsonBytes } from "../../../core/bytes.ts";
import { tooLargeReason } from "../../../core/delivery-retry.ts";
import { holdCutoff } from "../../../core/feed-hold.ts";
import { historyCutoff } from "../../../core/history-hold.ts";
import type { HistoryMessage } from "../../../history/write.ts";
import type { DeliveryHost } from "./delivery.ts";
import {
  type DueRow,
  dueEvents,
  dueHistory,
  jobRetryAt,
  parkBlockedJob,
  parseRow,
  retryAhead,
  ripeFeedJobs,
} from "./due-rows.ts";
import { dueAtOnce, feedWanted, parkWanted, takeRipeParked } from "./feed-wanted.ts";
import { message, queueUnits, sent, type Unit } from "./queue-units.ts";
import type { EventRecord, HistoryOutboxRecord, OutboxRecord, WebhookRecord } from "./records.ts";

/** History records, and feeds (one JobFeed call each), per delivery round. */
export const OUTBOX_BATCH = 200;
/** Feed events per delivery round, over all its feeds: a job's events past this wait for the next round. */
const ROUND_EVENTS = 1_000;
/** Jobs with due events looked at per round, so those waiting for a feed slot do not hide the other feeds' jobs. */
export const OUTBOX_SCAN = 1_000;
/** A queue message is at most 128 KB: pack records into messages of at most this many UTF-8 bytes of JSON. */
export const MESSAGE_BYTES = 100 * 1024;

/**
 * What one round sends (outbox/due-rows): at most OUTBOX_BATCH feeds (of OUTBOX_SCAN jobs looked at, for those
 * waiting for a feed slot) with all their due events, and OUTBOX_BATCH history records (those the history hold
 * lets go: core/history-hold). A body is parsed only when the round takes its record, and every size is the
 * stored text's byte count plus its envelope's — no record is serialized again to be measured.
 */
export function planRound(host: DeliveryHost, now: number) {
  const { productId } = host;
  const oversized: Array<{ record: OutboxRecord; reason: string }> = [];
  const envelope = jsonBytes({ kind: "history", productId, records: [] } satisfies HistoryMessage);
  const sizes = new Map<number, number>();
  /** The record as it would travel in a history message; an event never does, but must fit one too. */
  const fits = (row: DueRow, parts = 1): boolean => {
    const size = historyBytes(productId, row, parts);
    const reason = tooLargeReason(size + envelope, MESSAGE_BYTES);
    if (reason) oversized.push({ record: parseRow(row), reason });
    else sizes.set(row.seq, size);
    return !reason;
  };
  // Feed events: the jobs whose events are due (wanted by a reader, or past the hold: core/feed-hold), each
  // admitted through the FeedBudget, then all of their pending events — one append per job per round.
  const keys: string[] = [];
  let deferred = 0;
  // With every slot taken only wanted feeds can go (they are open already): the backlog waiting for a slot is
  // not read at all — in a burst it grows by every new job, and reading it each round cost 7 % of the CPU.
  const cutoff = host.feeds.openCount(now) < host.feeds.max ? holdCutoff(now) : 0;
  if (cutoff === 0) deferred = 1; // a slot frees within FEED_IDLE_MS: worth a round soon
  // A watched job parked until its retry, due now, is read with the `at` 0 rows again (feed-wanted `parkWanted`).
  const unparked = takeRipeParked(host.sql, now);
  if (unparked.length > 0)
    host.transact((tx) => {
      for (const jobId of unparked) dueAtOnce(tx.sql, jobId);
    });
  // A job whose first event waits for its retry has nothing due: passed over, not one of the batch's feeds nor a slot.
  // Taken, 200 such jobs (feeds refusing past an outage's horizon) filled every round's batch, and a healthy job's
  // events behind them waited for their retries — for as long as those refused. Asked only while some retry is ahead
  // (one probe a round, and only once a job is ripe: the one `dueEvents` made before, now shared with it).
  let waiting: boolean | undefined;
  const scan = { cut: false };
  for (const { jobId, wanted } of ripeFeedJobs(host.sql, cutoff, OUTBOX_SCAN, scan)) {
    if (keys.length >= OUTBOX_BATCH) break;
    waiting ??= retryAhead(host.sql, now);
    const retryAt = waiting ? jobRetryAt(host.sql, jobId, now) : undefined;
    const watched = wanted || feedWanted(host.sql, jobId, now);
    if (retryAt !== undefined) {
      // Out of the scan until then (due-rows `parkBlockedJob`): its rows after this page are not read, nor next round.
      host.transact((tx) => parkBlockedJob(tx.sql, jobId, retryAt));
      if (watched) parkWanted(host.sql, jobId, retryAt);
      continue;
    }
    // A wanted feed is open already (its reader opened it) and its reader waits: it never waits for a slot. A parked
    // job's events (due-rows `parkBlockedJob`) lost their `at` 0: whether it is read is asked of the wanted set.
    if (watched) host.feeds.touch(jobId, now);
    else if (!host.feeds.admitOne(jobId, now)) {
      // Waits for a feed slot or the budget's pace (core/feed-budget); not a failure. Wanted rows sort first
      // (at 0), and the budget that refused this job refuses the rest of the backlog behind it this round too:
      // reading on cost 8 % of the CPU in a burst, 1,000 rows a round to admit one feed.
      deferred++;
      break;
    }
    keys.push(jobId);
  }
  const feeds = new Map<string, EventRecord[]>();
  const eventRows = dueEvents(host.sql, now, keys, ROUND_EVENTS, waiting);
  for (const row of eventRows) {
    if (!fits(row)) continue;
    const key = row.job_id ?? "";
    feeds.set(key, [...(feeds.get(key) ?? []), parseRow(row) as EventRecord]);
  }
  const records: HistoryOutboxRecord[] = [];
  const webhooks: WebhookRecord[] = [];
  // While the coordinator is loaded, D1 history written in the last minute waits (core/history-hold); webhooks do not.
  const historyHeld = host.historyHeld(now);
  const historyRows = dueHistory(host.sql, now, historyCutoff(now, historyHeld), OUTBOX_BATCH);
  for (const row of historyRows) {
    const r = parseRow(row) as HistoryOutboxRecord | WebhookRecord;
    if (!fits(row, r.kind === "history" ? r.body.length : 1)) continue;
    if (r.kind === "webhook") webhooks.push(r);
    else records.push(r);
  }
  const history = queueUnits(host, records, webhooks, sizes, MESSAGE_BYTES - envelope);
  // Cut short by a limit (the feed budget's among them): records past it may be due at once (outbox/delivery).
  const more =
    deferred > 0 ||
    scan.cut ||
    keys.length >= OUTBOX_BATCH ||
    eventRows.length >= ROUND_EVENTS ||
    historyRows.length >= OUTBOX_BATCH;
  return { feeds: [...feeds.values()], history, oversized, deferred, historyHeld, more };
}

/**
 * Whether `queue` takes a message nothing in it can have refused, now (outbox/delivery): an empty history message, or
 * a webhook probe (worker/queues/webhooks `WebhookProbe`) — each acknowledged by its consumer, which writes and sends
 * nothing. Never throws: a send that throws, or is unanswered within the host's bound (`sent`), is a refusal.
 */
export async function probeQueue(
  host: Pick<DeliveryHost, "env" | "productId" | "sendMs">,
  queue: Unit["queue"],
): Promise<boolean> {
  const { env, productId } = host;
  try {
    if (queue === "history") await sent(host, env.HISTORY_QUEUE.send(message(productId, []), { contentType: "json" }));
    else await sent(host, env.WEBHOOK_QUEUE.send({ kind: "webhook_probe", productId }, { contentType: "json" }));
    return true;
  } catch {
    return false;
  }
}

/**
 * UTF-8 bytes of a row as it would travel in a history message (`toHistory`): its envelope measured, its body
 * counted by SQLite — a stored body is JSON text, so serializing the parsed body again gives the same bytes. A
 * group's parts each carry the envelope (productId, seq, part) instead of the `{kind, body}` they are stored in.
 */
function historyBytes(productId: string, r: DueRow, parts: number): number {
  if (r.kind !== "history") return envelopeBytes(productId, r.seq, r.kind) - 1 + r.bytes;
  // Each part is stored as {"kind":…,"body":…} and travels as {"productId":…,"seq":…,"part":…,"kind":…,"body":…}:
  // at most the latter's envelope more per part (an upper bound: the stored wrapper is not subtracted).
  return r.bytes + parts * envelopeBytes(productId, r.seq, "snapshot", parts);
}

/** The UTF-8 bytes of a string's JSON text, by string: one product id per coordinator and a few record kinds. */
const textBytes = new Map<string, number>();

/**
 * `jsonBytes({ productId, seq, kind, body: 0 })`, or with `part` after the seq, without serializing the object: its
 * names and punctuation are fixed (38 bytes, 46 with the part's), the product id's and the kind's JSON are measured
 * once each, and an integer's JSON is its `String` (`seq`, `part`: row numbers). The round measured every due row
 * this way by serializing it, feed events included: 5–10 small `JSON.stringify` a job in W1 (issue 12, bench/README's
 * forty-second pass). test/unit/outbox-envelope-bytes holds it to `jsonBytes`.
 */
export function envelopeBytes(productId: string, seq: number, kind: string, part?: number): number {
  const digits = String(seq).length + (part === undefined ? 0 : String(part).length);
  return (part === undefined ? 38 : 46) + jsonTextBytes(productId) + jsonTextBytes(kind) + digits;
}

function jsonTextBytes(s: string): number {
  let n = textBytes.get(s);
  if (n === undefined) {
    if (textBytes.size >= 64) textBytes.clear(); // bounded, should an isolate serve many products
    n = jsonBytes(s);
    textBytes.set(s, n);
  }
  return n;
}
