/**
 * @module core/lesson-repeats
 * When an automatic lesson the coordinator sees is one it recorded already (policies/lessons `recordAutoLesson`),
 * pure: within LESSON_LIMITS.dedupeWindowMs, the same trigger, text and scope — another job's lesson word for word —
 * or the same trigger and subject is that lesson seen again (counted), not a new row. Out of core/lessons.
 */
import { LESSON_LIMITS, type Lesson, newestFirst } from "./lessons.ts";

/**
 * The automatic lesson a new one with `trigger` + `subject` repeats: the newest one among `candidates` with the same
 * key updated within `windowMs` before `now` (ms) — an archived one too: a lesson the operator archived is counted
 * and stays archived, not recorded again as a new live lesson for the operator to archive again. Undefined → record
 * a new lesson (after the window, an archived lesson is history and a new one may be recorded).
 */
export function dedupeTarget<L extends Lesson>(
  candidates: readonly L[],
  key: { trigger: string; subject: string },
  now: number,
  windowMs: number = LESSON_LIMITS.dedupeWindowMs,
): L | undefined {
  return newestFirst(
    candidates.filter(
      (l) =>
        l.source === "auto" && l.trigger === key.trigger && l.subject === key.subject && l.updatedAt >= now - windowMs,
    ),
  )[0];
}

/** What the coordinator saw for an automatic lesson: its key (`trigger` + `subject`), its text and its scope. */
export interface AutoSighting {
  trigger: string;
  subject: string;
  text: string;
  capabilities: readonly string[];
  engine?: string;
  serialKey?: string;
}

/** Whether two scopes are the same: the same capabilities (as sets), engine and serial key. */
export function sameScope(
  a: Pick<Lesson, "capabilities" | "engine" | "serialKey">,
  b: Pick<AutoSighting, "capabilities" | "engine" | "serialKey">,
): boolean {
  const caps = (c: readonly string[]) => JSON.stringify([...new Set(c)].sort());
  return caps(a.capabilities) === caps(b.capabilities) && a.engine === b.engine && a.serialKey === b.serialKey;
}

/**
 * The automatic lesson a new sighting repeats, within `windowMs` before `now` (ms; archived ones too, as in
 * `dedupeTarget`): first the newest with the same trigger, the same text and the same scope — whatever its subject —
 * else the one of the same trigger + subject (`dedupeTarget`). Automatic lessons are one per subject, and a subject is
 * a job: the jobs of one title (a batch, a nightly) stopped by one budget run-out, rejected with one note or failing
 * with one message each wrote the same sentence as a row of its own — `lessons list` showed it once per job, and an
 * operator who archived the one row they saw left its twins reaching every job of that scope. Text first, so a job
 * whose own lesson is reworded by its next failure lands on a twin of the new words rather than becoming one.
 * So, within the window, no two automatic lessons share trigger, text and scope; `count` says how often it was seen.
 * Undefined → record a new lesson.
 */
export function repeatTarget<L extends Lesson>(
  candidates: readonly L[],
  seen: AutoSighting,
  now: number,
  windowMs: number = LESSON_LIMITS.dedupeWindowMs,
): L | undefined {
  const twin = newestFirst(
    candidates.filter(
      (l) =>
        l.source === "auto" &&
        l.trigger === seen.trigger &&
        l.text === seen.text &&
        sameScope(l, seen) &&
        l.updatedAt >= now - windowMs,
    ),
  )[0];
  return twin ?? dedupeTarget(candidates, seen, now, windowMs);
}
