/**
 * @module durable-objects/coordinator/dag/settle-walk
 * SETTLE WALK — when a job settles (dag/dependents `settled`), what waits on it is re-evaluated: its dependents (the
 * jobs listing it in `deps`, along `job_deps`' key) and its composite parent; each one that fails in turn settles,
 * and what waits on it is re-evaluated too (the cascade). Iterative (a worklist), and only a `blocked` job moves, so
 * each job fails at most once.
 *
 * BOUND — a job's dependents have no limit (a bulk batch may hang 10,000 jobs on one), nor has a chain's length, and
 * the cascade of one failure or cancel ran to its end in the unit that settled it: a 2,000-job chain's failure moved
 * 2,000 jobs in one unit, and the first unit of a cancel cascade (dag/cancel-subtree, CANCEL_CHUNK cancels) moved all
 * the siblings chained behind its first child besides. One unit takes at most SETTLE_CHUNK steps; a settled job
 * whose waiters are not all examined is a row of `settle_backlog` (with the last dependent examined, so none is read
 * twice), and while any row is left the alarm is due at once (runtime/alarm NEXT_DUE_SQL) and continues the walk in
 * a unit of its own (runtime/composition `alarm`). A step is a waiter examined or a settled job's walk begun, each
 * a bounded number of reads (a waiter's deps ≤ 100, a composite's children ≤ MAX_CHILDREN_PER_PARENT; a page).
 *
 * MEANWHILE — a waiter not yet examined stays `blocked`: nothing dispatches it, and its waiting reason is read from
 * its deps' stages now (jobs/waiting), so it already says `dependency_failed`. Re-evaluation reads the stages as they
 * are when it runs, so a dep requeued or shipped in between is judged as it is then — the same rule, later.
 */
import type { Job } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { loadJob } from "../jobs/rows.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { hasSettled, reevaluate } from "./dependents.ts";

/** Steps (see BOUND) one unit takes at most: a cancel's chunk (dag/cancel-subtree CANCEL_CHUNK), for the same reason. */
export const SETTLE_CHUNK = 500;

/** The cursor before every dependent (job ids are never empty). */
const START = "";
/** The cursor past every dependent (ids are letters, digits, `_` and `-`, all before `~`): only the parent is left. */
const END = "~";

/** Dependents read at a time: a fifth of a unit's SETTLE_CHUNK, so a unit reads at most a page it does not examine. */
const PAGE = 100;

/** Dependents of `?1` after the cursor `?2`, in key order (`job_deps`' primary key), a PAGE at a time. */
const DEPENDENTS_SQL = `SELECT job_id AS id FROM job_deps WHERE dep_id = ?1 AND job_id > ?2 ORDER BY job_id LIMIT ${PAGE}`;

/** Steps left in each unit, by its Tx (one per unit: runtime/units; one per frame of a factory batch). */
const budgets = new WeakMap<Tx, { left: number }>();

function budgetOf(tx: Tx): { left: number } {
  let budget = budgets.get(tx);
  if (!budget) {
    budget = { left: SETTLE_CHUNK };
    budgets.set(tx, budget);
  }
  return budget;
}

/** Re-evaluates what waits on `settledId` (see BOUND); returns the jobs it moved in this unit, in order. */
export function settleDependents(tx: Tx, settledId: string): Job[] {
  const moved: Job[] = [];
  walk(tx, [{ id: settledId, after: START }], moved);
  return moved;
}

/** Whether a settled job still has waiters to examine (the alarm is then due at once). */
export function settlesPending(sql: SqlStorage): boolean {
  return one(sql, "SELECT 1 AS x FROM settle_backlog LIMIT 1") !== undefined;
}

/** The alarm's unit: the backlog's oldest rows first, up to SETTLE_CHUNK steps; returns the jobs it moved. */
export function continueSettles(tx: Tx): Job[] {
  const moved: Job[] = [];
  const budget = budgetOf(tx);
  while (budget.left > 0) {
    const row = one<{ seq: number; job_id: string; after_id: string }>(
      tx.sql,
      "SELECT seq, job_id, after_id FROM settle_backlog ORDER BY seq LIMIT 1",
    );
    if (!row) break;
    execute(tx.sql, "DELETE FROM settle_backlog WHERE seq = ?", row.seq);
    walk(tx, [{ id: row.job_id, after: row.after_id }], moved); // put back, further on, if the budget runs out
  }
  return moved;
}

function walk(tx: Tx, work: Array<{ id: string; after: string }>, moved: Job[]): void {
  const budget = budgetOf(tx);
  const examine = (waiterId: string): void => {
    budget.left--;
    const waiter = loadJob(tx.sql, waiterId);
    if (!waiter || waiter.stage !== "blocked") return;
    const next = reevaluate(tx, waiter);
    if (!next) return;
    moved.push(next);
    if (hasSettled(next.stage)) work.push({ id: next.id, after: START });
  };
  while (work.length > 0) {
    const item = work.pop()!;
    let after = item.after;
    if (budget.left <= 0) {
      defer(tx, item.id, after);
      continue;
    }
    budget.left--; // its own reads (a page, its parent) count too: a backlog of jobs with no waiters is not free
    // Its dependents, then its parent: the order they were always examined in.
    while (after !== END) {
      if (budget.left <= 0) break;
      const ids = tx.sql.exec<{ id: string }>(DEPENDENTS_SQL, item.id, after).toArray();
      const taken = ids.slice(0, budget.left);
      for (const { id } of taken) {
        examine(id);
        after = id;
      }
      if (taken.length === ids.length && ids.length < PAGE) after = END; // the last page, all of it examined
    }
    if (budget.left <= 0) {
      defer(tx, item.id, after);
      continue;
    }
    const parent = one<{ p: string | null }>(tx.sql, "SELECT parent_id AS p FROM jobs WHERE id = ?", item.id)?.p;
    if (parent) examine(parent);
  }
}

/** Leaves `id`'s waiters after `after` to the alarm; a row already there keeps the earlier cursor. */
function defer(tx: Tx, id: string, after: string): void {
  execute(
    tx.sql,
    `INSERT INTO settle_backlog(job_id, after_id) VALUES (?1, ?2)
      ON CONFLICT(job_id) DO UPDATE SET after_id = min(after_id, excluded.after_id)`,
    id,
    after,
  );
}
