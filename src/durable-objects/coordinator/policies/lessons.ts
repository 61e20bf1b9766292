/**
 * @module durable-objects/coordinator/policies/lessons
 * CONTRACT (issue 9) — the one way the coordinator records a lesson by itself (`source: auto`), inside the unit
 * that saw it: retry exhaustion, a review rejection with a note (without one there is nothing to learn:
 * policies/reviews), a breaker trip, a budget stop, a quarantine. Also the operator's
 * add and edit (audited `lesson.create`, `lesson.update`, `lesson.archive`). Storage: the mirror and D1 through the
 * outbox (policies/lesson-rows); dedupe and bounds: core/lessons.
 */

import { counted } from "../../../core/counted.ts";
import { NotFoundError } from "../../../core/errors.ts";
import { repeatTarget } from "../../../core/lesson-repeats.ts";
import { assertLessonText, boundLessonText, LESSON_LIMITS, type Lesson } from "../../../core/lessons.ts";
import type { Job, RunResult } from "../../../core/model.ts";
import type { LessonBodyT, LessonPatchT } from "../../../shared/api-lessons.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { newId, type Tx } from "../runtime/tx.ts";
import { lessonsLike, loadLesson, saveLesson } from "./lesson-rows.ts";

export type LessonTrigger = "retry_exhausted" | "review_rejected" | "breaker_trip" | "budget_stop" | "quarantine";

export interface AutoLesson {
  trigger: LessonTrigger;
  /** What it is about, e.g. `job:<id>`, `factory:<id>`, `breaker:<factoryId>:<engine>`. */
  subject: string;
  /** One or two sentences an engine can act on. */
  text: string;
  /** What it applies to: matched against a job's `requires`, engine and serial key. */
  capabilities?: string[];
  engine?: string;
  serialKey?: string;
}

/**
 * Record an automatic lesson (deduplicated within a window, core/lesson-repeats `repeatTarget`): the same trigger,
 * text and scope — another job's lesson word for word — or else the same trigger and subject, seen again within
 * LESSON_LIMITS.dedupeWindowMs refreshes that lesson (count + 1, newest text and scope, and `updatedAt` = `tx.now`,
 * after its last: `laterThan`; so it is newest again) instead of adding one: its `subject` stays the first job's, and
 * each job's own trail is its history. A lesson an
 * operator reworded (`editedBy`, set by `editLesson`) keeps the operator's text and scope: a repeat only counts. One
 * the operator archived stays archived (counted, `updatedAt` refreshed: the window runs from its last repeat). A
 * lesson the mirror pruned is no target (policies/lesson-prune, which keeps archived ones within the window): a new
 * one is recorded. The text is cut to the byte limit, never refused.
 */
export function recordAutoLesson(tx: Tx, lesson: AutoLesson): void {
  const since = tx.now - LESSON_LIMITS.dedupeWindowMs;
  const key = { trigger: lesson.trigger, subject: lesson.subject };
  const scope = {
    capabilities: (lesson.capabilities ?? []).slice(0, LESSON_LIMITS.capabilitiesMax),
    engine: lesson.engine,
    serialKey: lesson.serialKey,
  };
  const text = boundLessonText(lesson.text);
  const candidates = lessonsLike(tx.sql, lesson.trigger, lesson.subject, text, since);
  const seen = repeatTarget(candidates, { ...key, text, ...scope }, tx.now);
  if (seen) {
    // The operator's words stand: the coordinator's own sentence (and scope) replaced them, silently, the next time.
    const fresh = seen.editedBy === undefined ? { ...scope, text } : {};
    saveLesson(tx, { ...seen, ...fresh, count: seen.count + 1, updatedAt: laterThan(seen, tx.now) });
    return;
  }
  saveLesson(tx, {
    id: newId("les", tx.now),
    text,
    source: "auto",
    ...key,
    ...scope,
    count: 1,
    createdAt: tx.now,
    updatedAt: tx.now,
    createdBy: "system",
  });
}

/**
 * The `retry_exhausted` lesson of a job that used its last attempt and is dead-lettered, `last` being how that attempt
 * ended — whichever way it ended: a reported failure (jobs/report), a lease lost by expiry (dispatch/lease-ops: a host
 * that crashes or is cut off on every run, what an engine and an operator most need to hear of) or a rate limit
 * counted against the job. Only the reported failure recorded one: the other two dead-lettered the job in silence.
 */
export function recordRetryExhausted(tx: Tx, job: Job, last: RunResult): void {
  recordAutoLesson(tx, {
    trigger: "retry_exhausted",
    subject: `job:${job.id}`,
    text: `"${job.manifest.title}" failed ${counted(job.attempt, "time")} and was dead-lettered; last: ${lastAttempt(job, last)}`,
    capabilities: job.manifest.requires,
    ...(job.engine ? { engine: job.engine } : {}),
    ...(job.serialKey ? { serialKey: job.serialKey } : {}),
  });
}

/**
 * How the last attempt ended, in the lesson: its message; for a failure reported without one (an engine that died
 * silently), what is stored of it — outcome, exit code and the job's last progress note (it read only "last:
 * failure", nothing an engine or an operator could act on). Read from the job as the unit has it: nothing written.
 */
export function lastAttempt(job: Pick<Job, "progress">, last: RunResult): string {
  if (last.message?.trim()) return last.message;
  const exit = last.rc === undefined ? "" : ` with exit code ${last.rc}`;
  const { pct, note } = job.progress ?? {};
  const at = [pct === undefined ? "" : `${pct}%`, note?.trim() ? `"${note.trim()}"` : ""].filter(Boolean).join(" ");
  return `${last.outcome}${exit}, no message reported${at ? `; its last progress note: ${at}` : ""}`;
}

/** An operator's lesson (validated at the boundary; the byte limit is checked again here, the one place). */
export function addLesson(tx: Tx, input: LessonBodyT, actor: string): Lesson {
  const lesson = saveLesson(tx, {
    id: newId("les", tx.now),
    text: assertLessonText(input.text),
    source: "operator",
    capabilities: [...new Set(input.capabilities)],
    ...(input.engine ? { engine: input.engine } : {}),
    ...(input.serialKey ? { serialKey: input.serialKey } : {}),
    count: 1,
    createdAt: tx.now,
    updatedAt: tx.now,
    createdBy: actor,
  });
  enqueueAudit(tx, actor, "lesson.create", lesson.id, { text: lesson.text, scope: scopeOf(lesson) });
  return lesson;
}

/**
 * Edit a lesson's text or scope, or archive / restore it. `known` is the lesson as D1 has it, for one the mirror
 * no longer keeps (pruned); the mirror's copy wins when both exist (D1 trails it by the outbox delay). A patch that
 * changes nothing (archiving an archived lesson, the same text again) writes and audits nothing and keeps
 * `updatedAt` (the first archive's time): `changed: false`. A change of an automatic lesson's text or scope marks
 * it `editedBy: actor` (core/lessons `Lesson`): its repeats keep the operator's words. Any other patch keeps the
 * marker it had — also one read from D1's row (`known`, its `edited_by`) for a lesson the mirror pruned: archived or
 * restored, that lesson is back in the mirror still marked, and its next repeat leaves the operator's words alone.
 * Answers the lesson with its marker.
 * @throws NotFoundError `lesson` when neither has it
 */
export function editLesson(
  tx: Tx,
  id: string,
  patch: LessonPatchT,
  actor: string,
  known?: Lesson,
): Lesson & { changed: boolean } {
  const before: Lesson | undefined = loadLesson(tx.sql, id) ?? known;
  if (!before) throw new NotFoundError("lesson", id);
  const next: Lesson = { ...before };
  if (patch.text !== undefined) next.text = assertLessonText(patch.text);
  if (patch.capabilities !== undefined) next.capabilities = [...new Set(patch.capabilities)];
  if (patch.engine !== undefined) next.engine = patch.engine ?? undefined;
  if (patch.serialKey !== undefined) next.serialKey = patch.serialKey ?? undefined;
  if (patch.archived !== undefined) next.archived = patch.archived || undefined;
  const reworded = next.text !== before.text || JSON.stringify(scopeOf(next)) !== JSON.stringify(scopeOf(before));
  if (reworded && before.source === "auto") next.editedBy = actor;
  // Through JSON: a cleared scope is absent (as D1 reads it back), not a key holding undefined.
  const edited = JSON.parse(JSON.stringify(next)) as Lesson;
  if (JSON.stringify(edited) === JSON.stringify(before)) return { ...before, changed: false };
  const saved = saveLesson(tx, { ...edited, updatedAt: laterThan(before, tx.now) });
  const action = patch.archived === true && !before.archived ? "lesson.archive" : "lesson.update";
  enqueueAudit(tx, actor, action, id, { changed: Object.keys(patch), text: saved.text, scope: scopeOf(saved) });
  return { ...saved, changed: true };
}

/**
 * A changed lesson's `updatedAt` (ms): `now`, but always after the version it replaces — also in the same
 * millisecond, or with this clock behind the one that wrote it. D1 keeps the version with the latest `updatedAt`
 * (history/write: the history queue delivers in any order), so two versions must never share one.
 */
function laterThan(before: Pick<Lesson, "updatedAt">, now: number): number {
  return Math.max(now, before.updatedAt + 1);
}

function scopeOf(l: Lesson): Record<string, unknown> {
  return { capabilities: l.capabilities, engine: l.engine ?? null, serialKey: l.serialKey ?? null };
}
