/**
 * @module durable-objects/coordinator/policies/lesson-rows
 * The coordinator's mirror of the lessons journal (table `lessons`, runtime/schema): LESSON_LIMITS.mirrorKept
 * lessons, those an assignment may still carry first (policies/lesson-prune), so an `assign` frame gets its lessons synchronously,
 * inside the dispatch unit, without a D1 round trip. D1 is the store of record: every write here also enqueues a `lesson`
 * outbox record in the same unit (outbox/records), and D1 upserts it by id — so the mirror and D1 agree once the
 * outbox has shipped.
 */
import { type Lesson, type LessonRef, type LessonTarget, lessonsForJob } from "../../../core/lessons.ts";
import { execute } from "../../sql-statements.ts";
import { enqueue } from "../outbox/records.ts";
import type { Tx } from "../runtime/tx.ts";
import { pruneMirror } from "./lesson-prune.ts";

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

/**
 * The dedupe candidates of an automatic sighting (core/lesson-repeats `repeatTarget`): the lessons of `trigger` updated
 * since `since` (ms), archived ones too, with this `subject` or this very `text`.
 */
export function lessonsLike(sql: SqlStorage, trigger: string, subject: string, text: string, since: number): Lesson[] {
  return sql
    .exec<Row>(
      "SELECT doc FROM lessons WHERE trigger = ? AND updated_at >= ? AND (subject = ? OR json_extract(doc, '$.text') = ?)",
      trigger,
      since,
      subject,
      text,
    )
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
 * Writes a lesson to the mirror and ships it to D1 (a `lesson` outbox record, same unit), then keeps only
 * `mirrorKept` lessons in the mirror (policies/lesson-prune: those an assignment may still carry, and the archived
 * automatic ones a repeat may still land on) — D1 keeps them all.
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
  pruneMirror(tx);
  liveByTx.delete(tx);
  return lesson;
}
