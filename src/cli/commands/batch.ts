/**
 * @module cli/commands/batch
 * `gigafactory batch ID`: a bulk batch read back by the `batchId` its `jobs:batch` answer gave (issue 12 item 3) —
 * how many of its items have their job, are still on their way through the dispatch queue, or were rejected, and
 * one row per item (index, status, job id or refusal code, key). Exit 0 whether or not the batch is done; a script
 * that waits for it reads `done` under --json.
 */

import { counted } from "../../core/counted.ts";
import type { BatchItemView, BatchView } from "../../shared/api-batches.ts";
import type { Command } from "../context.ts";
import { checked } from "../read-answers.ts";
import { BatchRead, inlined, inlineRows } from "../read-answers-ops.ts";
import { type Column, NONE, renderTable } from "../table.ts";

const COLUMNS: readonly Column[] = [
  { header: "INDEX", align: "right" },
  { header: "STATUS" },
  { header: "JOB / CODE", max: 40 },
  { header: "KEY", max: 80 },
];

/**
 * One table row per item: the job once created, else the refusal code, else nothing yet; an item that repeats an
 * earlier one's key says so (`= item 0`) after its job, since both name that one job (core/batch-repeats).
 */
export function batchRows(
  items: readonly Pick<BatchItemView, "index" | "status" | "jobId" | "code" | "key" | "repeatOf">[],
): string[][] {
  return inlineRows(
    items.map((i) => {
      const what = i.jobId ?? i.code ?? NONE;
      const job = i.repeatOf === undefined ? what : `${what === NONE ? "" : `${what} `}(= item ${i.repeatOf})`;
      return [String(i.index), i.status === "queued" ? "on its way" : i.status, job, i.key ?? NONE];
    }),
  );
}

/**
 * The one-line summary above the table, e.g. `batch b-1: 3 items — 2 created · 0 on their way · 1 rejected (done)`; items
 * whose job was already there (the batch sent again) are counted apart, `0 created · 12 existing · …`, as a single
 * submit says `existing` (they read "12 created" with the first batch's jobs); when items repeat an earlier item's
 * key, how many jobs they are: `3 items — 3 created · 0 on their way · 0 rejected, 1 job (2 items repeat an earlier one)
 * (done)` — identical keyless items are one job, which "3 created" hid. An item with no job yet is "on its way", not
 * "queued" (the API's status), which read as the job stage `queued` (a newcomer's report, pass 43).
 */
export function batchSummary(
  b: Pick<BatchView, "id" | "total" | "created" | "queued" | "rejected" | "done"> & {
    jobs?: number;
    existing?: number;
  },
): string {
  const state = b.done ? "done" : "jobs still on their way";
  const existing = b.existing ?? 0;
  const named = b.created + existing + b.queued;
  const repeats = b.jobs !== undefined && b.jobs < named ? named - b.jobs : 0;
  const jobs =
    repeats > 0
      ? `, ${counted(b.jobs!, "job")} (${counted(repeats, "item")} ${repeats === 1 ? "repeats" : "repeat"} an earlier one)`
      : "";
  const there = existing > 0 ? ` · ${existing} existing` : "";
  return inlined`batch ${b.id}: ${counted(b.total, "item")} — ${b.created} created${there} · ${b.queued} on their way · ${b.rejected} rejected${jobs} (${state})`;
}

export const batch: Command = {
  path: ["batch"],
  args: { names: "ID", min: 1, max: 1 },
  summary: "show a bulk batch (the batchId of a jobs:batch answer): which items have their job yet",
  options: {},
  async run(ctx) {
    const found = checked(BatchRead, await ctx.client().getBatch(ctx.positionals[0]!), "a batch");
    if (ctx.json) {
      ctx.emit(found);
      return 0;
    }
    ctx.print(batchSummary(found));
    if (found.items.length > 0) ctx.print(renderTable(COLUMNS, batchRows(found.items)));
    return 0;
  },
};
