/**
 * @module cli/commands/batch-submit-text
 * What `gigafactory batch submit` says, out of the command (cli/commands/batch-submit): the answer's shape it reads
 * (a 2xx of another shape is `bad_response`, not a crash), the accepted line, the --wait progress line, and the fixes
 * it gives (a refused item's resend, an answer that is no batch's).
 */
import { z } from "zod";
import { counted } from "../../core/counted.ts";
import type { BatchAccepted, BatchView } from "../../shared/api-batches.ts";
import { inlined } from "../read-answers-ops.ts";

/** What a refused item's line tells to do: the batch's keys make a resend safe. */
export const RESEND =
  "fix the file and send the batch again (the same files, in any order, and the same --key if one was given): " +
  "items already accepted keep their key and make no job twice";

/** An answer that is no batch's names no batch id to read back: the items may be queued all the same. */
export const SEE_BATCHES =
  "look for its jobs with `gigafactory jobs` before sending it again (under the same --key, its items make no job twice)";

/** The fields of the 202 answer the command reads (shared/api-batches BatchAcceptedSchema). */
export const BatchAcceptedRead = z.object({
  batchId: z.string(),
  accepted: z.number(),
  // A server from before `jobs` (core/batch-repeats) sends none: read as no repeats.
  jobs: z.number().nullable().optional(),
  items: z.array(
    z.object({ index: z.number(), status: z.string().optional(), repeatOf: z.number().nullable().optional() }),
  ),
  rejected: z.array(z.object({ index: z.number(), code: z.string(), detail: z.string() })),
});

/**
 * `✔ batch b-1: 55 of 56 items accepted (54 jobs: 1 item repeats an earlier one), 1 refused` — `files`: how many
 * items were sent; `…accepted, 12 of them already there (existing jobs)` when their jobs existed (sent again). `✘` leads instead when none was accepted; the jobs clause only when items repeat.
 */
export function acceptedLine(
  a: Pick<BatchAccepted, "batchId" | "accepted" | "rejected"> & {
    jobs?: number | null;
    items?: readonly { status?: string }[];
  },
  files: number,
): string {
  // Items whose job was already there (the batch sent again): said apart, as a single submit's `existing`.
  const there = (a.items ?? []).filter((i) => i.status === "exists").length;
  const existing = there > 0 ? `, ${there} of them already there (existing jobs)` : "";
  const repeats = a.jobs !== undefined && a.jobs !== null && a.jobs < a.accepted ? a.accepted - a.jobs : 0;
  const jobs =
    repeats > 0
      ? ` (${counted(a.jobs!, "job")}: ${counted(repeats, "item")} ${repeats === 1 ? "repeats" : "repeat"} an earlier one)`
      : "";
  const of = a.accepted === files ? counted(files, "item") : `${a.accepted} of ${counted(files, "item")}`;
  const refused = a.rejected.length > 0 ? `, ${a.rejected.length} refused` : "";
  const mark = a.accepted > 0 ? "✔" : "✘";
  return inlined`${mark} batch ${a.batchId}: ${of} accepted${existing}${jobs}${refused}`;
}

/** `… batch b-1: 12 of 56 items have their job, 44 on their way, 0 rejected` (stderr, each time the counts change). */
export function progressLine(
  v: Pick<BatchView, "id" | "total" | "created" | "queued" | "rejected" | "done"> & { existing?: number },
): string {
  const mark = v.done ? "✔" : "…";
  return inlined`${mark} batch ${v.id}: ${v.created + (v.existing ?? 0)} of ${counted(v.total, "item")} have their job, ${v.queued} on their way, ${v.rejected} rejected`;
}
