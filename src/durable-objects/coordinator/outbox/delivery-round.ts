/**
 * @module durable-objects/coordinator/outbox/delivery-round
 * One delivery round over the due records (outbox/delivery runs them in a loop): what the round plan (outbox/round-plan)
 * found is sent — feed events in one JobFeed call per round, history and webhook messages to their queues, a queue
 * that refuses asked with its first message only — then, in one unit, delivered records acknowledged, oversized ones
 * dead-lettered, failed ones retried or dead-lettered (a refusal blamed on a record only when its queue took something
 * else: core/delivery-retry `blamesRecord`), and an outage told apart from a queue down alone.
 */
import { blamesRecord } from "../../../core/delivery-retry.ts";
import type { FeedAppend } from "../../job-feed.ts";
import { deadLetterRecord } from "./dead-letters.ts";
import type { DeliveryHost, RoundResult } from "./delivery.ts";
import type { FeedBatch } from "./feed-append.ts";
import type { Unit } from "./queue-units.ts";
import { ackSeqs, type EventRecord, type OutboxRecord, stillQueued } from "./records.ts";
import { buryRefusedBehind } from "./refused-feed.ts";
import { recordFailure, waitForQueue } from "./retries.ts";
import { planRound, probeQueue } from "./round-plan.ts";

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
