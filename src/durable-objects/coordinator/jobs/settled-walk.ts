/**
 * @module durable-objects/coordinator/jobs/settled-walk
 * The retention pass's walk over settled jobs, one for each thing it forgets (jobs/retention's feeds,
 * policies/spend-prune's spend rows): terminal jobs oldest first through the `jobs_settled` index (runtime/schema),
 * from a watermark in `meta` ([updatedAt, id] of the last job a walk finished with). A terminal job never changes
 * stage again, so what lies behind a watermark stays done; an operator's requeue of a `dead_letter` job ends terminal
 * again with a later `updatedAt`, ahead of it, and is met again.
 */
import type { Stage } from "../../../core/model.ts";
import { TERMINAL_STAGES } from "../../../core/model.ts";
import { withLimit } from "../../sql-statements.ts";
import { getMeta, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";

export interface SettledJob {
  id: string;
  /** When it became terminal (its `updatedAt`), ms. */
  at: number;
}

/** A settled job as the walk reads it: with its terminal stage. */
export interface SettledRow extends SettledJob {
  stage: Stage;
}

const TERMINAL_SQL = TERMINAL_STAGES.map((s) => `'${s}'`).join(", ");

/**
 * Up to `limit` jobs terminal since before `before` (ms) and after the walk's watermark `key`, oldest first (ties by
 * id). Reads only: the caller moves the watermark (`settledThrough`) past what it finished with.
 */
export function settledAfter(tx: Tx, key: string, before: number, limit: number): SettledRow[] {
  const [wAt, wId] = JSON.parse(getMeta(tx.sql, key) ?? '[0, ""]') as [number, string];
  return tx.sql
    .exec<{ id: string; stage: Stage; at: number }>(
      // INDEXED BY: without statistics the planner picks a stage index and sorts every terminal job. The plain
      // `>= ?2` gives the index scan its lower bound (the row value alone does not); the row value breaks ties.
      withLimit(
        `SELECT id, stage, json_extract(doc, '$.updatedAt') AS at FROM jobs INDEXED BY jobs_settled
        WHERE stage IN (${TERMINAL_SQL}) AND json_extract(doc, '$.updatedAt') < ?1
          AND json_extract(doc, '$.updatedAt') >= ?2 AND (json_extract(doc, '$.updatedAt'), id) > (?2, ?3)
        ORDER BY json_extract(doc, '$.updatedAt'), id LIMIT {limit}`,
        limit,
      ),
      before,
      wAt,
      wId,
    )
    .toArray();
}

/** The walk `key` moved past `last` (the last job it finished with); nothing when there is none. */
export function settledThrough(tx: Tx, key: string, last: SettledJob | undefined): void {
  if (last) setMeta(tx.sql, key, JSON.stringify([last.at, last.id]));
}
