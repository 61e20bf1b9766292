/**
 * @module durable-objects/coordinator/factories/assign-text
 * An `assign` frame's JSON text, each job's document spliced in as the text `saveJob` wrote when it assigned the job
 * (outbox/snapshot-text `savedDocOf`), instead of serializing every job a second time to send it (issue 12: the
 * whole document, ~730 bytes in the bench, once a job; bench/README's forty-second pass). Byte for byte what
 * `JSON.stringify({ type: "assign", assignments })` gives: an assignment's `job` is its first member, the rest is
 * serialized as before and follows it. An assignment whose job was never saved as this object (or whose first member
 * is not `job`) is serialized whole, as before.
 */
import type { Assignment } from "../../../shared/protocol.ts";
import { savedDocOf } from "../outbox/snapshot-text.ts";

/** The text of `{ type: "assign", assignments }` (protocol `ServerFrame`), jobs' saved documents reused. */
export function assignFrameText(assignments: readonly Assignment[]): string {
  return `{"type":"assign","assignments":[${assignments.map(assignmentText).join(",")}]}`;
}

/** `JSON.stringify(a)`, its job's document taken from its save when there is one. */
function assignmentText(a: Assignment): string {
  const doc = savedDocOf(a.job);
  if (doc === undefined || Object.keys(a)[0] !== "job") return JSON.stringify(a);
  const { job: _job, ...rest } = a;
  const tail = JSON.stringify(rest);
  return tail === "{}" ? `{"job":${doc}}` : `{"job":${doc},${tail.slice(1)}`;
}
