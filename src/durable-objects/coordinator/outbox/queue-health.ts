/**
 * @module durable-objects/coordinator/outbox/queue-health
 * What the coordinator saw of its destinations across delivery rounds (outbox/delivery): how many rounds in a row
 * each queue took nothing and when it is asked again, when each last took a message, and since when every round's
 * destinations have all failed (an outage: core/delivery-outage) — all kept in SQLite, so an eviction forgets none.
 * What a round asks of it costs no SQLite read once an instance has read each key (runtime/meta's cache keeps a known
 * absence too): a flag in memory for "no outage or refusal known" would save nothing and could go stale across an
 * eviction. The one read a round makes is `took`'s seek for a history record waiting for a retry.
 */
import { ridesOutOutage } from "../../../core/delivery-outage.ts";
import { retryDelayMs } from "../../../core/delivery-retry.ts";
import { deleteMeta, getMeta, setMeta } from "../runtime/meta.ts";

/**
 * How many rounds in a row each queue the coordinator sends to took none it was sent (the wait of the records it
 * refused), and when a refusing queue is next asked — kept in SQLite (meta, cached), as is when a queue last took a
 * message (`lastTookAt`): a product's DO is evicted whenever it idles, and a queue down for longer than a minute had
 * each wake start afresh — every due record sent alone again (up to 200 refused sends a round, 3,000 in 20 minutes)
 * and the wait back at 2 s; an eviction between a record's failure and its retry had likewise forgotten that the
 * queue was up meanwhile, so a poison record retried for ever.
 */
export class QueueHealth {
  /**
   * `queue` took a message at `now` (ms): kept in the round's unit, once its failures are recorded. Only a record
   * that failed before weighs it (core/delivery-retry `blamesRecord`): while no history or webhook record waits for
   * a retry, any later failure is later than both the kept time and `now`, so the write (one a round) is skipped.
   */
  took(sql: SqlStorage, queue: string, now: number): void {
    if (getMeta(sql, `${REFUSED_KEY}${queue}`) !== undefined) deleteMeta(sql, `${REFUSED_KEY}${queue}`);
    if (sql.exec("SELECT 1 FROM outbox_retries WHERE job_id IS NULL LIMIT 1").toArray().length > 0)
      setMeta(sql, `${TOOK_KEY}${queue}`, String(now));
  }

  /**
   * `queue` took none of a round's messages: how long (ms) the records it refused without blame wait — growing with
   * each such round in a row (core/delivery-retry `retryDelayMs`: 2 s … 5 min), so an outage is not hammered. Given
   * the round's `now` (ms), the queue is not asked again before that wait is over (`askedAgainAt`).
   */
  refusedRound(sql: SqlStorage, queue: string, now?: number): number {
    const n = (this.refused(sql, queue)?.rounds ?? 0) + 1;
    const wait = retryDelayMs(n);
    setMeta(sql, `${REFUSED_KEY}${queue}`, now === undefined ? `${n}` : `${n} ${now + wait}`);
    return wait;
  }

  /**
   * When a round may next ask `queue`, refusing, with a message (ms): until then it sends it nothing, and its due
   * records wait unsent. Else every round asked — past the outage's horizon a round each second, as the waiting
   * records stayed due. Undefined when it is not refusing or may be asked now.
   */
  askedAgainAt(sql: SqlStorage, queue: string, now: number): number | undefined {
    const at = this.refused(sql, queue)?.askAt;
    return at !== undefined && at > now ? at : undefined;
  }

  /** Whether `queue` took none of the messages of its last round (and nothing since): a round then asks it once. */
  refusing(sql: SqlStorage, queue: string): boolean {
    return this.refused(sql, queue) !== undefined;
  }

  /** The kept refusal of `queue`: its rounds in a row, and when it is asked again (ms) if a round said. */
  private refused(sql: SqlStorage, queue: string): { rounds: number; askAt?: number } | undefined {
    const kept = getMeta(sql, `${REFUSED_KEY}${queue}`);
    if (kept === undefined) return undefined;
    const [rounds, askAt] = kept.split(" ").map(Number);
    return { rounds: rounds ?? 0, ...(askAt === undefined ? {} : { askAt }) };
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

/** The `meta` key of a refusing queue's rounds in a row and when it is asked again: `<n>[ <ms>]` (`QueueHealth`). */
const REFUSED_KEY = "outbox.queue_refused:";
/** The `meta` key of when a queue last took a message (outbox `QueueHealth`). */
const TOOK_KEY = "outbox.queue_took_at:";
/** The `meta` key of when the outbox's outage began (ms): the first round since a delivery in which all failed. */
const OUTAGE_KEY = "outbox.outage_since";
