/**
 * @module durable-objects/coordinator/policies/lesson-rows
 * The coordinator's mirror of the lessons journal (table `lessons`, runtime/schema): LESSON_LIMITS.mirrorKept
 * lessons, those an assignment may still carry first (PRUNE), so an `assign` frame gets its lessons synchronously,
 * inside the dispatch unit, without a D1 round trip. D1 is the store of record: every write here also enqueues a `lesson`
 * outbox record in the same unit (outbox/records), and D1 upserts it by id — so the mirror and D1 agree once the
 * outbox has shipped.
 */
import { LESSON_LIMITS, type Lesson, type LessonRef, type LessonTarget, lessonsForJob } from "../../../core/lessons.ts";
import { execute } from "../../sql-statements.ts";
import { enqueue } from "../outbox/records.ts";
import type { Tx } from "../runtime/tx.ts";

type Row = { doc: string };

/**
 * Live lessons read once per unit: a dispatch pass assigning many jobs parses the mirror once. A write in the unit
 * drops the cache (saveLesson), so a lesson recorded in a unit is seen by an assignment later in it.
 */
const liveByTx = new WeakMap<Tx, Lesson[]>();

/** One lesson of the mirror by id, or undefined (never recorded here, or pruned: then D1 still has it). */
export function loadLesson(sql: SqlStorage, id: string): Lesson | undefined {
  const row = sql.exec<Row>("SELECT doc FROM lessons WHERE id = ?", id).toArray()[0];
  return row ? (JSON.parse(row.doc) as Lesson) : undefined;
}

/** Lessons with this trigger + subject updated since `since` (ms), archived ones too: the dedupe candidates. */
export function lessonsByKey(sql: SqlStorage, trigger: string, subject: string, since: number): Lesson[] {
  return sql
    .exec<Row>("SELECT doc FROM lessons WHERE trigger = ? AND subject = ? AND updated_at >= ?", trigger, subject, since)
    .toArray()
    .map((r) => JSON.parse(r.doc) as Lesson);
}

/** Every non-archived lesson of the mirror (≤ mirrorKept), cached for the unit. */
export function liveLessons(tx: Tx): Lesson[] {
  const cached = liveByTx.get(tx);
  if (cached) return cached;
  const all = tx.sql
    .exec<Row>("SELECT doc FROM lessons WHERE archived = 0 ORDER BY updated_at DESC, id DESC")
    .toArray()
    .map((r) => JSON.parse(r.doc) as Lesson);
  liveByTx.set(tx, all);
  return all;
}

/** The lessons an assignment of `job` carries (core/lessons `lessonsForJob`: relevant, newest first, bounded). */
export function lessonsForAssignment(tx: Tx, job: LessonTarget): LessonRef[] {
  return lessonsForJob(liveLessons(tx), job);
}

/**
 * The mirror's prune: past `mirrorKept` lessons, the ones assignments miss least go first — archived ones, then live
 * ones an assignment of their scope never reaches: a repeat of the text of a newer lesson of the very same scope
 * (core/lessons `lessonsForJob` carries one text once, the newest), and one behind `perAssignment` newer lessons of
 * other texts in that scope (each of those matches every job it matches, so `lessonsForJob` reaches them first: one
 * behind them goes only when a newer one did not fit the 4 KiB) — then the coordinator's own automatic lessons before
 * operators' words (their lessons, and automatic ones they reworded: `editedBy`), the oldest first. Newest-first
 * alone let a storm of automatic lessons (500 dead letters of one capability, or of 500 serial keys) prune an older
 * lesson of another scope that no newer one replaced: its jobs were never told it again; and counting repeats as
 * lessons of their own ranked an older lesson behind eight copies of one sentence (jobs titled alike) as out of
 * reach, though it is the second line its jobs get. The price: a pruned automatic lesson is no dedupe target, so its
 * trigger and subject seen again within the window record a new lesson (an archived one, pruned first, too). Scopes
 * are compared as stored (capabilities in their order): two spellings of one scope only keep more.
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
  LIMIT -1 OFFSET ${LESSON_LIMITS.mirrorKept})`;

/**
 * Writes a lesson to the mirror and ships it to D1 (a `lesson` outbox record, same unit), then keeps only
 * `mirrorKept` lessons in the mirror (PRUNE: those an assignment may still carry) — D1 keeps them all.
 */
export function saveLesson<L extends Lesson>(tx: Tx, lesson: L): L {
  execute(
    tx.sql,
    `INSERT INTO lessons(id, source, trigger, subject, updated_at, archived, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET source = excluded.source, trigger = excluded.trigger, subject = excluded.subject,
       updated_at = excluded.updated_at, archived = excluded.archived, doc = excluded.doc`,
    lesson.id,
    lesson.source,
    lesson.trigger ?? null,
    lesson.subject ?? null,
    lesson.updatedAt,
    lesson.archived ? 1 : 0,
    JSON.stringify(lesson),
  );
  enqueue(tx, { kind: "lesson", body: { ...lesson } });
  // Ranked only when over the bound: most saves find the mirror below it.
  const kept = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM lessons").one().n;
  if (kept > LESSON_LIMITS.mirrorKept) execute(tx.sql, PRUNE);
  liveByTx.delete(tx);
  return lesson;
}
