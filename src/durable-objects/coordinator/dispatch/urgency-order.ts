/**
 * @module durable-objects/coordinator/dispatch/urgency-order
 * Queued, due jobs in the router's urgency order — without sorting the queue, and without reading the jobs no one
 * asking can run.
 *
 * Urgency is `priority − w·starvationPenalty(age)`. Within one priority class it only grows with age, so each
 * class of each capability bucket (jobs/buckets), read oldest-first along `jobs_by_bucket`
 * `(stage, cap_key, priority_value, queued_at, id, not_before)`, is already in urgency order; a merge of those
 * cursors' heads yields exactly `orderJobs` from the pure core (urgency desc, then queued_at, then id) over the
 * jobs of the buckets merged, at O(log cursors) per job taken. The caller's `admit` says which buckets: those its
 * free factories can run (push dispatch) or the claimant can (an HTTP claim). The others are never opened, so
 * 100,000 queued jobs no connected factory can run cost one index seek for their bucket, not 1,000 documents
 * parsed and scored — and a runnable job behind them is reached.
 */
import { capabilitiesOfKey } from "../../../core/capability-key.ts";
import { PRIORITY_VALUE, STARVATION_HORIZON_MS, urgencyAt } from "../../../core/router.ts";
import { withLimit } from "../../sql-statements.ts";
import { type Bucket, nextClass } from "../jobs/buckets.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * Due jobs examined per pass over the runnable buckets — by push dispatch and by an HTTP claim alike — when none of
 * them fits (another hard filter refuses them: serial gate, exclusion, breaker, budget pause). Each one examined is
 * a document parsed and scored: 1000 keeps such a pass to a few milliseconds; a job further back is reached once
 * those in front are taken, cancelled or aged past it. Jobs of buckets no one asking can run do not count, nor do
 * jobs behind a closed serial gate (CURSOR_OPEN_GATES_SQL) or of an engine an open breaker refuses on every factory
 * the walk is for (CURSOR_OPEN_ENGINES_SQL).
 */
export const MAX_SCAN = 1000;

/**
 * Rows per page per cursor: the first page is small — a pass usually takes the head of one class or two, and it
 * opens a cursor for every class of every runnable bucket (at 200 single submits/s, 64-row first pages were 5 % of
 * the CPU) — and each further page doubles, up to the last.
 */
const FIRST_PAGE = 8;
const PAGE = 64;

/**
 * The page after `(?4, ?5)` of one bucket's priority class, due by `?3`, oldest first (tests read its plan); its
 * `{limit}` is written in (sql-statements `withLimit`: a bound LIMIT re-prepares the statement on every run).
 */
export const CURSOR_SQL = `SELECT id, queued_at FROM jobs
  WHERE stage = 'queued' AND cap_key = ?1 AND priority_value = ?2 AND (not_before IS NULL OR not_before <= ?3)
    AND (queued_at, id) > (?4, ?5)
  ORDER BY queued_at, id LIMIT {limit}`;

/**
 * CURSOR_SQL without the jobs whose serial gate is closed (`?6`: a JSON array of the keys frozen or held): they
 * cannot be taken, so they are neither parsed nor counted against MAX_SCAN. Without it, a thousand jobs behind one
 * frozen key filled every pass's scan, and an ungated job a free factory could run behind them in urgency order
 * waited for good (saying "dispatching"): aged past the horizon, equal urgency ties on age, and they were older.
 * The gate is still checked per job (core/router): a key may close during the pass.
 */
export const CURSOR_OPEN_GATES_SQL = CURSOR_SQL.replace(
  "AND (queued_at, id) > (?4, ?5)",
  "AND (queued_at, id) > (?4, ?5)\n    AND (serial_key IS NULL OR serial_key NOT IN (SELECT value FROM json_each(?6)))",
);

/**
 * CURSOR_OPEN_GATES_SQL without the jobs whose engine (`*`: none named) an open circuit breaker refuses on every
 * factory the walk is for (`?7`: a JSON array of those engines, core/route-filter `breakerHeldEngines`; `?6` may be
 * `[]`). Without it, a thousand older jobs of a broken engine filled every pass's scan and a job of another engine
 * that a free factory could run waited for the breaker (its cool-down doubling up to an hour), saying "dispatching".
 */
export const CURSOR_OPEN_ENGINES_SQL = CURSOR_OPEN_GATES_SQL.replace(
  "ORDER BY",
  "AND COALESCE(json_extract(doc, '$.engine'), '*') NOT IN (SELECT value FROM json_each(?7))\n  ORDER BY",
);

/**
 * Whether to walk `bucket`'s jobs of class `priority` (a PRIORITY_VALUE). Asked when the cursor opens and again
 * before each of its jobs is yielded, so a bucket whose last fitting seat a pass just filled stops there; once it
 * answers no, that cursor is closed for the walk (callers' answers only ever turn from yes to no within one walk).
 */
export type Admit = (bucket: Bucket, priority: number) => boolean;

export interface WalkOptions {
  /** The buckets and classes to walk; default every one. */
  admit?: Admit;
  /** The priority classes (PRIORITY_VALUE) to walk; default all four. */
  priorities?: readonly number[];
  /** Serial keys whose gate is closed (frozen, or held by a running job): their jobs are skipped in the query. */
  closedKeys?: ReadonlySet<string>;
  /** Per class of a bucket, asked as its cursor opens: engines whose breakers refuse it everywhere; skipped unread. */
  heldEngines?: (bucket: Bucket, priority: number) => ReadonlySet<string>;
}

interface Head {
  id: string;
  queuedAt: number;
  urgency: number;
  cursor: number;
}

interface Cursor {
  bucket: Bucket;
  priority: number;
  rows: Generator<Head>;
}

function* classCursor(
  tx: Tx,
  key: string,
  priority: number,
  at: number,
  weight: number,
  horizonMs: number,
  closed: string | undefined,
  engines: string | undefined,
) {
  let after: [number, string] = [-1, ""];
  const sql =
    engines !== undefined ? CURSOR_OPEN_ENGINES_SQL : closed !== undefined ? CURSOR_OPEN_GATES_SQL : CURSOR_SQL;
  const gates = engines !== undefined ? [closed ?? "[]", engines] : closed === undefined ? [] : [closed];
  for (let page = FIRST_PAGE; ; page = Math.min(PAGE, page * 2)) {
    // Keyset pagination: robust while the caller assigns (removes) rows between pages.
    const rows = tx.sql
      .exec<{ id: string; queued_at: number }>(
        withLimit(sql, page),
        key,
        priority,
        tx.now,
        after[0],
        after[1],
        ...gates,
      )
      .toArray();
    for (const r of rows) {
      // urgencyAt is exactly the pure router's, so the merge reproduces orderJobs.
      const urgency = urgencyAt(priority, tx.now - r.queued_at, weight, horizonMs);
      yield { id: r.id, queuedAt: r.queued_at, urgency, cursor: at } satisfies Head;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < page) return;
    after = [last.queued_at, last.id];
  }
}

/** Bucket `key` holds a due job of class `priority` (one index seek): lets a caller skip costly admission checks. */
export function hasDueJob(tx: Tx, key: string, priority: number): boolean {
  return tx.sql.exec(withLimit(CURSOR_SQL, 1), key, priority, tx.now, -1, "").toArray().length > 0;
}

function before(a: Head, b: Head): boolean {
  const ua = Math.round(a.urgency * 1e9);
  const ub = Math.round(b.urgency * 1e9);
  if (ua !== ub) return ua > ub;
  if (a.queuedAt !== b.queuedAt) return a.queuedAt < b.queuedAt;
  return a.id < b.id;
}

/**
 * Ids of queued, due jobs of the admitted buckets, most urgent first (exactly `orderJobs` over those jobs), at most
 * `limit` of them (default `MAX_SCAN`): the one bound every caller that walks the queue shares, so no path can
 * examine the whole queue in one request. `horizonMs` is the aging horizon (RouteContext.agingHorizonMs, from
 * settings.agingHorizonMinutes): any horizon keeps each class in age order, so the merge stays exact.
 */
export function* dueJobIdsByUrgency(
  tx: Tx,
  starvationWeight: number,
  limit = MAX_SCAN,
  horizonMs: number = STARVATION_HORIZON_MS,
  { admit = () => true, priorities = Object.values(PRIORITY_VALUE), closedKeys, heldEngines }: WalkOptions = {},
): Generator<string> {
  const cursors: Cursor[] = [];
  const heap = new HeadHeap();
  const closed = closedKeys && closedKeys.size > 0 ? JSON.stringify([...closedKeys]) : undefined;
  // Buckets in key order, as jobs/buckets `queuedBuckets` reads them, but class by class (`nextClass`): a cursor is a
  // statement, and it opens only for a class some queued job is in — an empty one yields nothing, so the merge is the
  // same without it (a queue of single submits has one class: 4 cursors a pass were 3 statements for nothing,
  // bench/README forty-third pass). `admit` is asked of every class of a bucket, in `priorities`' order, as before;
  // a bucket it refuses throughout is passed in one seek.
  for (let found = nextClass(tx.sql, ["", 0]); found; ) {
    const [key, first] = found;
    const bucket: Bucket = { key, capabilities: capabilitiesOfKey(key) };
    const admitted = priorities.filter((priority) => admit(bucket, priority));
    if (admitted.length === 0) {
      found = nextClass(tx.sql, [key, Number.MAX_SAFE_INTEGER]);
      continue;
    }
    let priority: number = first;
    for (;;) {
      if (admitted.includes(priority)) {
        const held = heldEngines?.(bucket, priority);
        const engines = held && held.size > 0 ? JSON.stringify([...held]) : undefined;
        const at = cursors.length;
        const rows = classCursor(tx, key, priority, at, starvationWeight, horizonMs, closed, engines);
        cursors.push({ bucket, priority, rows });
        heap.push(rows.next().value ?? undefined);
      }
      found = nextClass(tx.sql, [key, priority]);
      if (!found || found[0] !== key) break;
      priority = found[1];
    }
  }
  for (let taken = 0; taken < limit; ) {
    const head = heap.pop();
    if (!head) return;
    const cursor = cursors[head.cursor]!;
    if (!admit(cursor.bucket, cursor.priority)) continue; // closed: its bucket has no fitting seat left
    yield head.id;
    taken++;
    heap.push(cursor.rows.next().value ?? undefined);
  }
}

/** A binary min-heap of cursor heads under `before`: the next job is the root. */
class HeadHeap {
  private readonly items: Head[] = [];

  push(head: Head | undefined): void {
    if (!head) return;
    const a = this.items;
    a.push(head);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i]!, a[parent]!)) break;
      [a[i], a[parent]] = [a[parent]!, a[i]!];
      i = parent;
    }
  }

  pop(): Head | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || !last) return top;
    a[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < a.length && before(a[l]!, a[m]!)) m = l;
      if (r < a.length && before(a[r]!, a[m]!)) m = r;
      if (m === i) return top;
      [a[i], a[m]] = [a[m]!, a[i]!];
      i = m;
    }
  }
}
