/**
 * @module durable-objects/coordinator/policies/lesson-prune
 * The bound on the coordinator's lessons mirror (policies/lesson-rows): past LESSON_LIMITS.mirrorKept lessons, which
 * rows go. Two concerns meet here: assignments read only the mirror (so a live lesson pruned is never sent again),
 * and automatic lessons are deduplicated only against the mirror (policies/lessons `recordAutoLesson`: the unit that
 * records one cannot wait for D1) — so an automatic lesson an operator archived, pruned first as no assignment reads
 * it, came back as a new live lesson at its next repeat within the dedupe window, in any product past 500 lessons.
 */
import { LESSON_LIMITS } from "../../../core/lessons.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * Archived automatic lessons kept past `mirrorKept` while a repeat of theirs still dedupes onto them (updated within
 * LESSON_LIMITS.dedupeWindowMs), the most recently repeated first. A repeat refreshes `updatedAt`, so a lesson that
 * keeps repeating stays; one quiet for the window goes at the next prune — its next repeat is a new lesson anyway,
 * archived or not (core/lesson-repeats `repeatTarget`). Bounded so the mirror holds at most mirrorKept + this many rows:
 * liveLessons (each dispatch unit) scans the mirror's archived rows too, and 250 keeps that scan ≤ 1.5× today's.
 * Past it, the archived lessons repeated longest ago are pruned (and would be recorded anew on a repeat).
 */
export const ARCHIVED_REPEATS_KEPT = 250;

/**
 * The ranking: past `mirrorKept` lessons, the ones assignments miss least go first — archived ones, then live ones an
 * assignment of their scope never reaches: a repeat of the text of a newer lesson of the very same scope (core/lessons
 * `lessonsForJob` carries one text once, the newest), and one behind `perAssignment` newer lessons of other texts in
 * that scope (each of those matches every job it matches, so `lessonsForJob` reaches them first: one behind them goes
 * only when a newer one did not fit the 4 KiB) — then the coordinator's own automatic lessons before operators' words
 * (their lessons, and automatic ones they reworded: `editedBy`), the oldest first. Newest-first alone let a storm of
 * automatic lessons (500 dead letters of one capability, or of 500 serial keys) prune an older lesson of another
 * scope that no newer one replaced: its jobs were never told it again; and counting repeats as lessons of their own
 * ranked an older lesson behind eight copies of one sentence (jobs titled alike) as out of reach, though it is the
 * second line its jobs get. Scopes are compared as stored (capabilities in their order): two spellings of one scope
 * only keep more.
 *
 * Spared from that cut: up to ARCHIVED_REPEATS_KEPT archived automatic lessons still inside their dedupe window
 * (`?1`: its start, ms), so their repeats stay archived and counted. A pruned automatic lesson is no dedupe target
 * (its trigger and subject seen again record a new lesson); only those out of the window, or past that bound, are.
 */
const SCOPE = `archived, json_extract(doc, '$.capabilities'), json_extract(doc, '$.engine'), json_extract(doc, '$.serialKey')`;
const PRUNE = `DELETE FROM lessons WHERE id IN (
  SELECT id FROM (
    SELECT id, archived, system_words, updated_at, text_rank, ROW_NUMBER() OVER (
      PARTITION BY ${SCOPE}, text_rank > 1 ORDER BY updated_at DESC, id DESC) AS in_scope
    FROM (
      SELECT id, archived, source = 'auto' AND json_extract(doc, '$.editedBy') IS NULL AS system_words, updated_at,
        doc, ROW_NUMBER() OVER (
        PARTITION BY ${SCOPE}, json_extract(doc, '$.text') ORDER BY updated_at DESC, id DESC) AS text_rank
      FROM lessons))
  ORDER BY archived, text_rank > 1 OR in_scope > ${LESSON_LIMITS.perAssignment}, system_words, updated_at DESC, id DESC
  LIMIT -1 OFFSET ${LESSON_LIMITS.mirrorKept})
AND id NOT IN (
  SELECT id FROM lessons WHERE archived = 1 AND source = 'auto' AND trigger IS NOT NULL AND updated_at >= ?1
  ORDER BY updated_at DESC, id DESC LIMIT ${ARCHIVED_REPEATS_KEPT})`;

/**
 * Keep the mirror to `mirrorKept` lessons (PRUNE), plus the archived automatic ones a repeat may still land on; D1
 * keeps them all. Ranked only when over the bound: most saves find the mirror below it.
 */
export function pruneMirror(tx: Tx): void {
  const kept = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM lessons").one().n;
  if (kept > LESSON_LIMITS.mirrorKept) execute(tx.sql, PRUNE, tx.now - LESSON_LIMITS.dedupeWindowMs);
}
