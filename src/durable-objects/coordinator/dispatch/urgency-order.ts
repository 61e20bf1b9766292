/**
 * @module durable-objects/coordinator/dispatch/urgency-order
 * Queued, due jobs in the router's urgency order — without sorting the queue.
 *
 * Urgency is `priority − w·starvationPenalty(age)`. Within one priority class
 * it only grows with age, so each class, read oldest-first along the
 * `(stage, priority_value, queued_at, id)` index, is already in urgency order;
 * a 4-way merge of the classes' heads yields exactly `orderJobs` from the pure
 * core (urgency desc, then queued_at, then id) at O(1) per job taken. A full
 * `ORDER BY <expression>` re-sorted every queued job on every dispatch pass —
 * quadratic over a deep queue.
 */
import { PRIORITY_VALUE, STARVATION_HORIZON_MS, urgencyAt } from "../../../core/router.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * Due jobs examined per pass over the queue — by push dispatch and by an HTTP claim alike — when none of them fits.
 * Each one examined is a document parsed and scored: 1000 keeps a pass to a few milliseconds over a deep queue of
 * jobs no factory can run; a job further back is reached once those in front are taken, cancelled or aged past it.
 */
export const MAX_SCAN = 1000;

/** Rows per index page per priority class: one page almost always holds the job taken. */
const PAGE = 64;

interface Head {
  id: string;
  queuedAt: number;
  urgency: number;
}

function* classCursor(tx: Tx, priority: number, weight: number, horizonMs: number): Generator<Head> {
  let after: [number, string] = [-1, ""];
  for (;;) {
    // Keyset pagination: robust while the caller assigns (removes) rows between pages.
    const rows = tx.sql
      .exec<{ id: string; queued_at: number }>(
        `SELECT id, queued_at FROM jobs
          WHERE stage = 'queued' AND priority_value = ?1 AND (not_before IS NULL OR not_before <= ?2)
            AND (queued_at, id) > (?3, ?4)
          ORDER BY queued_at, id LIMIT ?5`,
        priority,
        tx.now,
        after[0],
        after[1],
        PAGE,
      )
      .toArray();
    for (const r of rows) {
      // urgencyAt is exactly the pure router's, so the merge reproduces orderJobs.
      yield { id: r.id, queuedAt: r.queued_at, urgency: urgencyAt(priority, tx.now - r.queued_at, weight, horizonMs) };
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < PAGE) return;
    after = [last.queued_at, last.id];
  }
}

function before(a: Head, b: Head): boolean {
  const ua = Math.round(a.urgency * 1e9);
  const ub = Math.round(b.urgency * 1e9);
  if (ua !== ub) return ua > ub;
  if (a.queuedAt !== b.queuedAt) return a.queuedAt < b.queuedAt;
  return a.id < b.id;
}

/**
 * Ids of queued, due jobs, most urgent first (exactly `orderJobs`), at most `limit` of them (default `MAX_SCAN`): the
 * one bound every caller that walks the queue shares, so no path can examine the whole queue in one request.
 * `horizonMs` is the aging horizon (RouteContext.agingHorizonMs, from settings.agingHorizonMinutes): any horizon
 * keeps each class in age order, so the merge stays exact.
 */
export function* dueJobIdsByUrgency(
  tx: Tx,
  starvationWeight: number,
  limit = MAX_SCAN,
  horizonMs: number = STARVATION_HORIZON_MS,
): Generator<string> {
  const cursors = Object.values(PRIORITY_VALUE).map((p) => classCursor(tx, p, starvationWeight, horizonMs));
  const heads: Array<Head | undefined> = cursors.map((c) => c.next().value ?? undefined);
  for (let taken = 0; taken < limit; taken++) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (best < 0 || before(h, heads[best]!))) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.id;
    heads[best] = cursors[best]!.next().value ?? undefined;
  }
}
