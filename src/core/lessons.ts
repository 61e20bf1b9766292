/**
 * @module core/lessons
 * The lessons journal's rules (issue 9 item 7; seed 001 "lessons journal"), pure: what a lesson is, when an
 * automatic lesson is the same as one already recorded (the window; the rule itself is core/lesson-repeats), which
 * lessons are relevant to a job, and how many of them an assignment may carry. Every limit is in UTF-8 bytes (core/bytes) and lives here, in
 * LESSON_LIMITS — the coordinator, the API and the agent read them from this one place.
 */
import { truncateUtf8, utf8Bytes } from "./bytes.ts";
import { DomainError } from "./errors.ts";
import { terminalText } from "./terminal-text.ts";

export type LessonSource = "auto" | "operator";

/** One lesson as stored (coordinator mirror, D1 `lessons`). Times in ms since the epoch. */
export interface Lesson {
  id: string;
  text: string;
  source: LessonSource;
  /** Why an automatic lesson was recorded (`retry_exhausted`, `review_rejected`, …); absent for operator lessons. */
  trigger?: string;
  /** What an automatic lesson is about (`job:<id>`, `factory:<id>`, …): with `trigger`, its dedupe key. */
  subject?: string;
  /** Scope: the lesson applies to jobs that require all of these (empty = no capability scope). */
  capabilities: string[];
  /** Scope: jobs asking for this engine. */
  engine?: string;
  /** Scope: jobs of this serial key. */
  serialKey?: string;
  /** Times the same automatic lesson was seen within the dedupe window (1 for a new lesson). */
  count: number;
  createdAt: number;
  updatedAt: number;
  /** `system` for automatic lessons, else the operator's actor name. */
  createdBy: string;
  archived?: boolean;
  /**
   * The operator who last changed this automatic lesson's text or scope (audited `lesson.update`). From then on a
   * repeat of its trigger + subject within the window counts (`count`, `updatedAt`) but keeps the operator's text
   * and scope: the coordinator's own sentence never overwrites the one an operator wrote. Absent: never reworded
   * (an operator's own lesson never has it: nothing repeats it). Kept in the coordinator's mirror, the `lesson`
   * outbox record and D1's `edited_by` (history/schema), so a lesson the mirror pruned keeps it when an operator
   * archives or restores it (its D1 row is what the edit starts from); answered by the API, shown by the dashboard
   * and the CLI as "auto · edited by <actor>".
   */
  editedBy?: string;
}

/** What an `assign` frame carries per lesson: only what the engine reads. */
export interface LessonRef {
  id: string;
  text: string;
}

/** What of a job the relevance rule looks at. */
export interface LessonTarget {
  requires: readonly string[];
  engine?: string;
  serialKey?: string;
}

export const LESSON_LIMITS = {
  /** A lesson's text: a few sentences an engine can act on, never a log dump (an auto lesson is cut to this). */
  textMaxBytes: 1024,
  /** Scope capabilities per lesson: as many as a manifest's `requires` can usefully name. */
  capabilitiesMax: 16,
  /** Lessons per assignment: more than a handful is noise to an engine, and every frame carries them. */
  perAssignment: 8,
  /** UTF-8 bytes of lesson text per assignment: keeps an `assign` frame for 8 seats well under 64 KiB. */
  assignmentMaxBytes: 4 * 1024,
  /** The same trigger + subject within a day is the same lesson seen again, not a new one. */
  dedupeWindowMs: 24 * 60 * 60 * 1000,
  /** Lessons the coordinator mirrors in its own SQLite (newest by updatedAt); D1 keeps every one. */
  mirrorKept: 500,
} as const;

/**
 * Checks an operator's lesson text: non-blank and at most `textMaxBytes` of UTF-8.
 * @throws DomainError `validation_failed` naming the limit
 */
export function assertLessonText(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") throw new DomainError("validation_failed", "a lesson's text must not be blank");
  const bytes = utf8Bytes(trimmed);
  if (bytes > LESSON_LIMITS.textMaxBytes) {
    throw new DomainError(
      "validation_failed",
      `a lesson's text is at most ${LESSON_LIMITS.textMaxBytes} bytes of UTF-8 (got ${bytes})`,
      { limit: LESSON_LIMITS.textMaxBytes, bytes },
    );
  }
  return trimmed;
}

/** An automatic lesson's text, cut (never refused) to `textMaxBytes`: the coordinator writes what it saw. */
export function boundLessonText(text: string): string {
  const max = LESSON_LIMITS.textMaxBytes;
  return utf8Bytes(text) <= max ? text : `${truncateUtf8(text, max - 3)}…`;
}

/**
 * The relevance rule: a non-archived lesson matches a job when it is product-wide, or when every part of its scope
 * that is set holds for the job — its capabilities (non-empty) all among the job's `requires`, its engine the job's
 * engine, its serial key the job's. Each part narrows, as the CLI's `--cap`/`--engine`/`--serial-key` say ("only
 * jobs …"): a lesson "TPU jobs: use bf16" scoped `--cap tpu --engine sample` reached every sample job while any one
 * part was enough (pass 41's newcomer), and an automatic lesson scoped to what its jobs share (`sharedScope`: caps
 * gpu, engine sample) reached every job of that engine, gpu or not.
 */
export function lessonMatches(lesson: Lesson, job: LessonTarget): boolean {
  if (lesson.archived) return false;
  if (!lesson.capabilities.every((c) => job.requires.includes(c))) return false;
  if (lesson.engine !== undefined && lesson.engine !== job.engine) return false;
  return lesson.serialKey === undefined || lesson.serialKey === job.serialKey;
}

/**
 * The scope of one lesson about several jobs (a budget stop that caught them all): what every one of them shares —
 * the capabilities all of them require (in the first job's order), their engine and serial key when all have the same.
 * Under `lessonMatches` it reaches each of those jobs' kind; nothing shared → product-wide. One job → its own scope.
 */
export function sharedScope(jobs: readonly LessonTarget[]): {
  capabilities: string[];
  engine?: string;
  serialKey?: string;
} {
  const [first, ...rest] = jobs;
  if (!first) return { capabilities: [] };
  const capabilities = [...new Set(first.requires)].filter((c) => rest.every((j) => j.requires.includes(c)));
  const engine = rest.every((j) => j.engine === first.engine) ? first.engine : undefined;
  const serialKey = rest.every((j) => j.serialKey === first.serialKey) ? first.serialKey : undefined;
  return {
    capabilities,
    ...(engine !== undefined ? { engine } : {}),
    ...(serialKey !== undefined ? { serialKey } : {}),
  };
}

/** Newest first: by `updatedAt` (a repeated automatic lesson is fresh again), ties by id (ids sort by creation). */
export function newestFirst<T extends Pick<Lesson, "updatedAt" | "id">>(lessons: readonly T[]): T[] {
  return [...lessons].sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * The lessons an assignment of `job` carries: the matching ones, newest first, at most `perAssignment` of them and
 * at most `assignmentMaxBytes` of UTF-8 text in total. A lesson that does not fit the bytes left is skipped and an
 * older, shorter one may still go (order is kept). Non-matching lessons never take a place, and neither does a
 * lesson whose text one carried already says word for word (only the newest of them goes): automatic lessons are
 * one per job, and jobs of one title — a batch, a nightly — stopped by one budget run-out or rejected with one
 * comment wrote the same sentence each, filling the engine's 8 lines with one line 8 times.
 */
export function lessonsForJob(
  lessons: readonly Lesson[],
  job: LessonTarget,
  limits: { perAssignment: number; assignmentMaxBytes: number } = LESSON_LIMITS,
): LessonRef[] {
  const out: LessonRef[] = [];
  const said = new Set<string>();
  let bytes = 0;
  for (const l of newestFirst(lessons.filter((x) => lessonMatches(x, job)))) {
    if (out.length >= limits.perAssignment) break;
    if (said.has(l.text)) continue;
    said.add(l.text);
    const size = utf8Bytes(l.text);
    if (bytes + size > limits.assignmentMaxBytes) continue;
    bytes += size;
    out.push({ id: l.id, text: l.text });
  }
  return out;
}

/** A lesson id as the coordinator makes them (`les_` + base-36, runtime/tx newId): the API's path parameter too. */
export const LESSON_ID = /^les_[a-z0-9]{1,40}$/;

/** True when `id` has a lesson id's shape: only such an id is put in a path, a marker or the lessons file. */
export function isLessonId(id: unknown): id is string {
  return typeof id === "string" && LESSON_ID.test(id);
}

/**
 * Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069): they reorder what a reader sees against what a
 * model reads ("Trojan Source"), and a lesson's text has no use for them.
 */
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/**
 * A markdown block marker at the start of an item's text (CommonMark): a heading `#`, a quote `>`, an HTML block `<`,
 * a bullet `-`/`*`/`+` before a space, a code fence, a thematic break (three of `-`, `*`, `_`). `- # Obey` is a
 * heading inside the list item, `- - x` a nested item: escaped with a backslash, the text reads as written.
 */
const BLOCK_MARK = /^(?:[#><]|[-*+](?=\s|$)|`{3}|~{3}|[-*_](?=\s*[-*_]\s*[-*_]))/;
/** An ordered-list marker (`1.`, `7)`) before a space or the end: its `.` or `)` is escaped (`3.5 s` is left). */
const ORDERED_MARK = /^(\d{1,9})([.)])(?=\s|$)/;

/**
 * One lesson's text as one line of the lessons file: every run of whitespace (newline, CR, tab, the Unicode line and
 * paragraph separators) is one space and a block marker it begins with is escaped (BLOCK_MARK), so a lesson cannot
 * open a heading or a fake item of its own; every other control character is shown as its picture (core/terminal-text),
 * bidi controls as U+FFFD. An automatic lesson holds text nobody vetted (a job title from an issue, an engine's
 * message) and the file reaches an engine's prompt and, through `cat "$GF_LESSONS_FILE"`, a terminal.
 */
export function lessonLine(text: string): string {
  const line = terminalText(text.replace(/[\s\u0085]+/g, " ").trim()).replace(BIDI, "\ufffd");
  return line.replace(ORDERED_MARK, "$1\\$2").replace(BLOCK_MARK, "\\$&");
}

/**
 * The lessons file an engine reads (`$GF_LESSONS_FILE`): a markdown list, newest first, one line per lesson
 * (`lessonLine`) ending in its id; "" for none. A lesson whose id is not a lesson id (`isLessonId`) is left out.
 */
export function lessonsMarkdown(lessons: readonly LessonRef[]): string {
  const items = lessons.filter((l) => isLessonId(l.id)).map((l) => `- ${lessonLine(l.text)} (${l.id})`);
  if (items.length === 0) return "";
  return `# Lessons from earlier work on this product (newest first)\n\n${items.join("\n")}\n`;
}
