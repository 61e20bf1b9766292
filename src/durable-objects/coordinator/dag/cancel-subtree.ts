/**
 * @module durable-objects/coordinator/dag/cancel-subtree
 * CANCEL CASCADE — a cancelled composite parent takes its subtree with it: a parent that is gone must not leave
 * its children to be dispatched and paid for. Every descendant not yet ended (shipped, dead-lettered or cancelled)
 * is cancelled as an operator's cancel of it would be (jobs/actions `cancelJob`: a running one loses its lease,
 * epoch + 1, run closed, and its holder is sent a `cancel` once the unit commits — factories/notices
 * `noteStop`), with a `job.action` event on its feed naming the parent it went with; what waits on it is
 * re-evaluated (dag/dependents `settled`). The operator's audit record is the parent's, once, with the count.
 *
 * THROUGH SHIPPED — a composite that shipped is not cancelled, but the cascade goes on below it: a failed child of a
 * shipped `onChildFailure: continue` composite may be requeued (only a cancelled ancestor refuses that), and a cascade
 * that walked live children only left it queued, to run and be paid for under the cancelled composite.
 *
 * BOUND — a parent may have MAX_CHILDREN_PER_PARENT children, each a composite in turn, so a subtree has no size
 * limit. One unit cancels at most CANCEL_CHUNK descendants; a cancelled composite whose children are still to be
 * cancelled is a row of `cancel_cascades`, and while any row is left the alarm is due at once
 * (runtime/alarm NEXT_DUE_SQL) and cancels the next chunk in a unit of its own (runtime/composition `alarm`). What
 * the cancels fail in turn (siblings chained behind a cancelled child) is bounded per unit too (dag/settle-walk).
 *
 * HOLD — until then the rest of the subtree is still `queued`, and a dispatch pass (the cancel's own, the alarm's,
 * an HTTP claim) would start engines the next chunk cancels: push dispatch and claims skip a job below a cascade
 * (`cascadeHold`). A composite's row is added only as it is cancelled, so a grandchild's parent may still be live:
 * the hold looks up the parent chain.
 *
 * AFTER — cancelled is final for the whole subtree: an operator's requeue of a job below a cancelled composite
 * (one that ended, dead_letter, before the cascade reached it, or is still `failed` ahead of it) is refused
 * `ancestor_cancelled` in the requeue's own unit (`refuseUnderCancelled`), during the cascade and after it alike.
 */
import { ancestorCancelledMessage, cancelledAncestor, MAX_CHILDREN_PER_REQUEST } from "../../../core/composite.ts";
import { DomainError } from "../../../core/errors.ts";
import { type Job, TERMINAL_STAGES } from "../../../core/model.ts";
import { execute, withLimit } from "../../sql-statements.ts";
import { noteStop } from "../factories/notices.ts";
import { cancelJob } from "../jobs/actions.ts";
import { loadJob } from "../jobs/rows.ts";
import { enqueueEvent } from "../outbox/records.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { settled } from "./dependents.ts";

/** Descendants one unit cancels at most: as many as one request may create (core/composite), so a unit that
 * could make them can unmake them. */
export const CANCEL_CHUNK = MAX_CHILDREN_PER_REQUEST;

export interface Cascade {
  /** Descendants cancelled in this unit. */
  cancelled: number;
  /** Whether more are left for the alarm's next units. */
  more: boolean;
}

interface CascadeRow extends Record<string, SqlStorageValue> {
  job_id: string;
  root_id: string;
  actor: string;
}

/**
 * The children of `?1` still to cancel, oldest first, along the parent index; the limit written in (sql-statements
 * `withLimit`: at most CANCEL_CHUNK texts), as no Durable Object statement binds one.
 */
const LIVE_CHILDREN_SQL = `SELECT id FROM jobs WHERE parent_id = ?1
  AND stage NOT IN (${TERMINAL_STAGES.map((s) => `'${s}'`).join(", ")}) ORDER BY created_at, id LIMIT {limit}`;

/**
 * The children of `?1` that shipped and have children of their own (composites), below which a requeued job may still
 * be live (THROUGH SHIPPED): along the parent index, without parsing any job's document (a body may be 256 KiB).
 */
const SHIPPED_COMPOSITES_SQL = `SELECT c.id AS id FROM jobs c WHERE c.parent_id = ?1 AND c.stage = 'shipped'
  AND EXISTS (SELECT 1 FROM jobs g WHERE g.parent_id = c.id)`;

/** Whether root `?`'s cascade has rows left, and its oldest: along `cancel_cascades_by_root` (plans pinned by a test). */
export const ROOT_LEFT_SQL = "SELECT 1 AS x FROM cancel_cascades WHERE root_id = ? LIMIT 1";
export const ROOT_NEXT_SQL =
  "SELECT job_id, root_id, actor FROM cancel_cascades WHERE root_id = ? ORDER BY seq LIMIT 1";

/**
 * `parent` was just cancelled by `actor` in this unit: cancel its live descendants, up to CANCEL_CHUNK of them
 * now (this parent's subtree first), the rest left to the alarm. A job that never had children cancels nothing.
 */
export function cancelSubtree(tx: Tx, parent: Job, actor: string): Cascade {
  if (parent.kind !== "composite") return { cancelled: 0, more: false };
  addCascade(tx, parent.id, parent.id, actor);
  const cancelled = continueCascades(tx, parent.id);
  // This parent's own cascade: another root's, still under way, is not this cancel's to report.
  const more = one(tx.sql, ROOT_LEFT_SQL, parent.id) !== undefined;
  return { cancelled, more };
}

/** Whether any cancelled composite still has children to cancel (the alarm is then due at once). */
export function cascadesPending(sql: SqlStorage): boolean {
  return one(sql, "SELECT 1 AS x FROM cancel_cascades LIMIT 1") !== undefined;
}

/**
 * Each cascade row's job, with the cancelled composite a job below it is named under: the job itself — or, for a
 * shipped composite the cascade goes through (THROUGH SHIPPED), its root, so none is said to be cancelled that shipped.
 */
const CASCADING_SQL = `SELECT c.job_id AS id, CASE j.stage WHEN 'shipped' THEN c.root_id ELSE c.job_id END AS named
  FROM cancel_cascades c LEFT JOIN jobs j ON j.id = c.job_id`;

/**
 * For one dispatch pass (see HOLD above): the composite whose cascade a job is below — its parent, or a composite
 * above that, with a `cancel_cascades` row — so it must not be assigned; undefined for a job below none. The lookup
 * itself is undefined when no cascade is pending: one read of an empty table per pass, nothing per job. Otherwise
 * the rows' ids are read once, and each job id on a parent chain at most once per pass (memoised), along the
 * primary key. The waiting reason names the same composite (jobs/waiting: `ancestor_cancelled`).
 */
export function cascadeHold(sql: SqlStorage): ((job: Pick<Job, "parentId">) => string | undefined) | undefined {
  const cascading = new Map(
    sql
      .exec<{ id: string; named: string }>(CASCADING_SQL)
      .toArray()
      .map((r) => [r.id, r.named]),
  );
  if (cascading.size === 0) return undefined;
  const below = new Map<string, string | null>(); // job id → the cascading composite at or above it, or null
  return (job) => {
    const chain: string[] = [];
    let held: string | null = null;
    for (let at = job.parentId; at !== undefined; ) {
      const known = cascading.get(at) ?? below.get(at);
      if (known !== undefined) {
        held = known;
        break;
      }
      chain.push(at);
      at = one<{ p: string | null }>(sql, "SELECT parent_id AS p FROM jobs WHERE id = ?", at)?.p ?? undefined;
    }
    for (const id of chain) below.set(id, held);
    return held ?? undefined;
  };
}

/**
 * A requeue's guard (jobs/actions), read in the requeue's own unit so no cancel can land between the check and the
 * move: throws `ancestor_cancelled` (409, nothing written) when a composite above `job` is cancelled, its cascade
 * finished or still under way (core/composite `cancelledAncestor`: a failed ancestor refuses nothing). One read per
 * ancestor along the primary key; a job with no parent reads nothing.
 */
export function refuseUnderCancelled(sql: SqlStorage, job: Pick<Job, "id" | "parentId">): void {
  const ancestors: Array<{ id: string; stage: Job["stage"] }> = [];
  const seen = new Set<string>([job.id]); // parent chains are acyclic (children.ts); a bad row must not loop
  for (let at = job.parentId; at !== undefined && !seen.has(at); ) {
    seen.add(at);
    const row = one<{ stage: Job["stage"]; p: string | null }>(
      sql,
      "SELECT stage, parent_id AS p FROM jobs WHERE id = ?",
      at,
    );
    if (!row) break;
    ancestors.push({ id: at, stage: row.stage });
    at = row.p ?? undefined;
  }
  const cancelled = cancelledAncestor(ancestors);
  if (!cancelled) return;
  throw new DomainError("ancestor_cancelled", ancestorCancelledMessage(job.id, cancelled.id), {
    jobId: job.id,
    ancestorId: cancelled.id,
  });
}

/**
 * Cancel up to CANCEL_CHUNK live descendants of the cascades left (of `rootId`'s only, when given), parent rows
 * first; returns how many it cancelled. A row is removed once its job has no live child left, its shipped composite
 * children given rows of their own (THROUGH SHIPPED; each counted against the chunk, as a cancel is).
 */
export function continueCascades(tx: Tx, rootId?: string): number {
  let left = CANCEL_CHUNK;
  let cancelled = 0;
  while (left > 0) {
    const row =
      rootId === undefined
        ? one<CascadeRow>(tx.sql, "SELECT job_id, root_id, actor FROM cancel_cascades ORDER BY seq LIMIT 1")
        : one<CascadeRow>(tx.sql, ROOT_NEXT_SQL, rootId);
    if (!row) break;
    const ids = tx.sql.exec<{ id: string }>(withLimit(LIVE_CHILDREN_SQL, left), row.job_id).toArray();
    // Fewer than asked for: these are the last of its children (cancelled now), so the row is done.
    if (ids.length < left) {
      execute(tx.sql, "DELETE FROM cancel_cascades WHERE job_id = ?", row.job_id);
      left -= throughShipped(tx, row);
    }
    left -= ids.length;
    cancelled += ids.length;
    if (ids.length === 0) continue;
    // Below a shipped composite (THROUGH SHIPPED) the cancel is its root's: the parent itself was not cancelled.
    const parentShipped = one<{ s: string }>(tx.sql, "SELECT stage AS s FROM jobs WHERE id = ?", row.job_id)?.s;
    const why =
      parentShipped === "shipped"
        ? `cancelled with ${row.root_id}, a composite above it`
        : `cancelled with its parent ${row.job_id}`;
    for (const { id } of ids) cancelWithParent(tx, id, row, why);
  }
  return cancelled;
}

/** Rows for `row`'s shipped composite children, so the cascade reaches what is live below them; how many. */
function throughShipped(tx: Tx, row: CascadeRow): number {
  const ids = tx.sql.exec<{ id: string }>(SHIPPED_COMPOSITES_SQL, row.job_id).toArray();
  for (const { id } of ids) addCascade(tx, id, row.root_id, row.actor);
  return ids.length;
}

function cancelWithParent(tx: Tx, id: string, row: CascadeRow, why: string): void {
  const job = loadJob(tx.sql, id);
  if (!job || TERMINAL_STAGES.includes(job.stage)) return;
  noteStop(tx, job, why, "parent_cancelled"); // a running child's holder hears it after the commit, as after an operator's cancel
  const next = cancelJob(tx, job, why);
  enqueueEvent(tx, id, "job.action", { action: "cancel", actor: row.actor, parentId: row.job_id, note: why });
  settled(tx, next); // its dependents outside the subtree fail naming it, as after an operator's cancel of it
  if (next.kind === "composite") addCascade(tx, next.id, row.root_id, row.actor);
}

function addCascade(tx: Tx, jobId: string, rootId: string, actor: string): void {
  execute(
    tx.sql,
    "INSERT OR IGNORE INTO cancel_cascades(job_id, root_id, actor) VALUES (?, ?, ?)",
    jobId,
    rootId,
    actor,
  );
}
