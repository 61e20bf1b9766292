/**
 * @module durable-objects/coordinator/outbox/queue-health
 * What the coordinator saw of its destinations across delivery rounds (outbox/delivery): how many rounds in a row
 * each queue took nothing, when each last took a message, and since when every round's destinations have all failed
 * (an outage: core/delivery-outage) — the last two kept in SQLite, so an eviction forgets neither.
 */
import { ridesOutOutage } from "../../../core/delivery-outage.ts";
import { retryDelayMs } from "../../../core/delivery-retry.ts";
import { deleteMeta, getMeta, setMeta } from "../runtime/meta.ts";

/**
 * How many rounds in a row each queue the coordinator sends to took none it was sent (the wait of the records it
 * refused). In memory: after a restart the wait starts again at its shortest. When a queue last took a message is
 * kept in SQLite instead (`lastTookAt`): an eviction between a record's failure and its retry — a product's DO is
 * evicted whenever it idles — had forgotten that the queue was up meanwhile, so a poison record retried for ever.
 */
export class QueueHealth {
  private readonly refusals = new Map<string, number>();
  /** When a refusing queue is next asked (ms): its refused record's wait. In memory, as `refusals`. */
  private readonly askAt = new Map<string, number>();

  /**
   * `queue` took a message at `now` (ms): kept in the round's unit, once its failures are recorded. Only a record
   * that failed before weighs it (core/delivery-retry `blamesRecord`): while no history or webhook record waits for
   * a retry, any later failure is later than both the kept time and `now`, so the write (one a round) is skipped.
   */
  took(sql: SqlStorage, queue: string, now: number): void {
    this.refusals.delete(queue);
    this.askAt.delete(queue);
    if (sql.exec("SELECT 1 FROM outbox_retries WHERE job_id IS NULL LIMIT 1").toArray().length > 0)
      setMeta(sql, `${TOOK_KEY}${queue}`, String(now));
  }

  /**
   * `queue` took none of a round's messages: how long (ms) the records it refused without blame wait — growing with
   * each such round in a row (core/delivery-retry `retryDelayMs`: 2 s … 5 min), so an outage is not hammered. Given
   * the round's `now` (ms), the queue is not asked again before that wait is over (`askedAgainAt`).
   */
  refusedRound(queue: string, now?: number): number {
    const n = (this.refusals.get(queue) ?? 0) + 1;
    this.refusals.set(queue, n);
    if (now !== undefined) this.askAt.set(queue, now + retryDelayMs(n));
    return retryDelayMs(n);
  }

  /**
   * When a round may next ask `queue`, refusing, with a message (ms): until then it sends it nothing, and its due
   * records wait unsent. Else every round asked — past the outage's horizon a round each second, as the waiting
   * records stayed due. Undefined when it is not refusing or may be asked now.
   */
  askedAgainAt(queue: string, now: number): number | undefined {
    const at = this.askAt.get(queue);
    return at !== undefined && at > now && this.refusing(queue) ? at : undefined;
  }

  /** Whether `queue` took none of the messages of its last round (and nothing since): a round then asks it once. */
  refusing(queue: string): boolean {
    return this.refusals.has(queue);
  }

  /** When `queue` last took a message (ms), across restarts; undefined when it never did. */
  lastTookAt(sql: SqlStorage, queue: string): number | undefined {
    const at = getMeta(sql, `${TOOK_KEY}${queue}`);
    return at === undefined ? undefined : Number(at);
  }

  /**
   * A round at `now` (ms) delivered nothing and more than one destination failed: whether it is ridden out as an
   * outage (core/delivery-outage `ridesOutOutage`), from the first such round since one last delivered anything —
   * kept in SQLite (meta, cached): held in memory, an eviction between rounds (an idle product's DO, woken by its
   * alarm minutes later) would start the outage afresh every time, and it was never outlasted. Call inside the round's
   * unit: the first such round writes its start.
   */
  outage(sql: SqlStorage, now: number): boolean {
    const since = getMeta(sql, OUTAGE_KEY);
    if (since === undefined) setMeta(sql, OUTAGE_KEY, String(now));
    return ridesOutOutage(since === undefined ? now : Number(since), now);
  }

  /**
   * Any outage is over: a round or a reader's flush (outbox/shipper `flushFeed`) delivered something — the
   * destinations are up — or nothing is left to deliver. Else a start left behind by an outage that ended so would
   * have a later one counted from it, past its horizon at once (a cached read when none was kept).
   */
  outageOver(sql: SqlStorage): void {
    if (getMeta(sql, OUTAGE_KEY) !== undefined) deleteMeta(sql, OUTAGE_KEY);
  }
}

/** The `meta` key of when a queue last took a message (outbox `QueueHealth`). */
const TOOK_KEY = "outbox.queue_took_at:";
/** The `meta` key of when the outbox's outage began (ms): the first round since a delivery in which all failed. */
const OUTAGE_KEY = "outbox.outage_since";
