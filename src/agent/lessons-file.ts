/**
 * @module agent/lessons-file
 * Hands a job's lessons (the `lessons` of its assignment, shared/protocol) to its engine: a markdown list, newest
 * first (core/lessons `lessonsMarkdown`), written beside the job file — never in the workspace, so it cannot end up
 * in the diff or a checkpoint — and named by `$GF_LESSONS_FILE`. The variable is ALWAYS set: with no lessons the
 * file exists and is empty, so an engine can read it unconditionally (`cat "$GF_LESSONS_FILE"`).
 *
 * What arrives is bounded by the coordinator (≤ 8 lessons, ≤ 4 KiB of text); the agent trusts no frame further
 * than that, so it applies the same bound again before writing (core/lessons `lessonsForJob` limits).
 */
import { utf8Bytes } from "../core/bytes.ts";
import { isLessonId, LESSON_LIMITS, type LessonRef, lessonsMarkdown } from "../core/lessons.ts";
import { replaceFile } from "./exclusive-file.ts";

/** The file's path for a job file `<dir>/<job>.job.md` → `<dir>/<job>.lessons.md`. */
export function lessonsFileFor(jobFile: string): string {
  return jobFile.endsWith(".job.md") ? `${jobFile.slice(0, -".job.md".length)}.lessons.md` : `${jobFile}.lessons.md`;
}

/**
 * The well-formed lessons of an assignment (a lesson id, `les_…`, and a string text), in the order sent (newest
 * first), within the assignment bound.
 */
export function acceptedLessons(lessons: unknown): LessonRef[] {
  if (!Array.isArray(lessons)) return [];
  const out: LessonRef[] = [];
  let bytes = 0;
  for (const l of lessons as Array<Partial<LessonRef> | null>) {
    if (out.length >= LESSON_LIMITS.perAssignment) break;
    // The id ends each line of the file as its marker: only a coordinator-shaped id (core/lessons) is trusted there.
    if (!isLessonId(l?.id) || typeof l.text !== "string") continue;
    const size = utf8Bytes(l.text);
    if (bytes + size > LESSON_LIMITS.assignmentMaxBytes) continue;
    bytes += size;
    out.push({ id: l.id, text: l.text });
  }
  return out;
}

/**
 * Writes the lessons file (mode 0600, owned by the engine user when there is one) and returns its path.
 * @param lessons the assignment's `lessons` (anything: malformed entries are dropped)
 * @throws Error what agent/exclusive-file `replaceFile` throws (a link planted at the path twice)
 */
export function writeLessonsFile(path: string, lessons: unknown, user?: { uid: number; gid: number }): string {
  // Beside the job file in jobs/, where an engine may have planted a link: created exclusively (agent/exclusive-file).
  replaceFile(path, lessonsMarkdown(acceptedLessons(lessons)), { mode: 0o600, owner: user });
  return path;
}
