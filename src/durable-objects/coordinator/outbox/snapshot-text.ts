/**
 * @module durable-objects/coordinator/outbox/snapshot-text
 * A job snapshot's JSON text (outbox/records `enqueueSnapshot`) made from the document text `saveJob` (jobs/rows)
 * has just written, instead of serializing the same job a second time (issue 12: one serialization per move, four
 * moves a job). The text is byte for byte what `JSON.stringify` gives for the snapshot's body: its `doc` is the saved
 * text with the top-level `bodyMd` member cut out, which is what serializing `{ ...job, bodyMd: undefined }` gives.
 * Where that cannot be shown from the job's shape (below), the caller serializes the body as before.
 */
import type { Job } from "../../../core/model.ts";

/** The saved document text of each job object, from `saveJob` until its snapshot is taken (`takeSavedDoc`). */
const saved = new WeakMap<Job, string>();
/** The same text for as long as the job object lives: what its `assign` frame carries (factories/assign-text). */
const lastSaved = new WeakMap<Job, string>();

/** `saveJob` wrote `job` as `text` (`JSON.stringify(job)`); the job must not change before its snapshot. */
export function noteSavedDoc(job: Job, text: string): void {
  saved.set(job, text);
  lastSaved.set(job, text);
}

/**
 * The text `saveJob` wrote for this very object (`JSON.stringify(job)`: jobs are never changed in place, jobs/rows
 * `moveJob` saves a copy), or undefined for an object never saved (one `loadJob` parsed, say).
 */
export function savedDocOf(job: Job): string | undefined {
  return lastSaved.get(job);
}

/** The text `saveJob` wrote for this very object, once (a second snapshot of it serializes again). */
export function takeSavedDoc(job: Job): string | undefined {
  const text = saved.get(job);
  saved.delete(job);
  return text;
}

const BODY_KEY = ',"bodyMd":';

/**
 * `full` (`JSON.stringify(job)`) without the top-level `bodyMd` member: `JSON.stringify({ ...job, bodyMd: undefined })`.
 * Only when that member is shown to be the first `,"bodyMd":` in the text — every member before it is a primitive
 * (no nested object or array can hold a key of that name), and at least one of them is written (it is not the
 * first member). A `"` inside a JSON string is always escaped, so no string value holds the sequence either.
 * @returns the text, or undefined when the job's shape does not show it (the caller then serializes)
 */
export function docWithoutBody(job: Job, full: string): string | undefined {
  if (job.bodyMd === undefined) return full; // JSON.stringify leaves an undefined member out either way
  let written = 0;
  for (const key of Object.keys(job)) {
    if (key === "bodyMd") break;
    const value = (job as unknown as Record<string, unknown>)[key];
    if (value !== null && typeof value === "object") return undefined;
    if (value !== undefined && typeof value !== "function" && typeof value !== "symbol") written++;
  }
  if (written === 0) return undefined;
  const at = full.indexOf(BODY_KEY);
  if (at < 0) return undefined;
  const bodyText = JSON.stringify(job.bodyMd);
  if (!full.startsWith(bodyText, at + BODY_KEY.length)) return undefined;
  return full.slice(0, at) + full.slice(at + BODY_KEY.length + bodyText.length);
}

/**
 * The snapshot body's JSON text: `head` (the body without `doc`, every member a primitive) serialized, then `doc`.
 * Equal to `JSON.stringify({ ...head, doc })` when `docText` is `JSON.stringify(doc)`.
 */
export function withDoc(head: Record<string, unknown>, docText: string): string {
  const text = JSON.stringify(head);
  return `${text.slice(0, -1)}${text === "{}" ? "" : ","}"doc":${docText}}`;
}
