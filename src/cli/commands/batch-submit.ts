/**
 * @module cli/commands/batch-submit
 * `gigafactory batch submit FILE…`: many manifests in one `POST …/jobs:batch` (up to 10,000, 8 MiB) instead of one
 * request per file. Prints the `batchId`, how many items were accepted and how many jobs they name (items that
 * repeat an earlier one's key are one job), each refused item as a `✘ ERROR` line naming its file, and the
 * `gigafactory batch ID` that follows it; `--wait` reads the batch back until `done` (no item still on its way
 * through the dispatch queue). `--key K` is the batch's Idempotency-Key: the same files sent again under it make no
 * job twice. Exit 0 when every item was accepted (and, under --wait, made); 1 when any was refused.
 * Under --json: the API's answer, with `batch` (the batch read back when done) added under --wait.
 */
import { terminalText } from "../../core/terminal-text.ts";
import type { BatchAccepted, BatchView } from "../../shared/api-batches.ts";
import { assertBatchFits, readBatchItems } from "../batch-input.ts";
import type { Command, Ctx } from "../context.ts";
import { CliError, formatError, usageError } from "../errors.ts";
import { checked } from "../read-answers.ts";
import { BatchRead, inlined } from "../read-answers-ops.ts";
import { checkedWrite, lineOf } from "../read-answers-policy.ts";
import { batchSummary } from "./batch.ts";
import { acceptedLine, BatchAcceptedRead, progressLine } from "./batch-submit-text.ts";
import { headerKeyProblem } from "./children.ts";

/** The --wait poll: from 250 ms, doubling to 2 s — a small batch is done at once, a large one is not read 4×/s. */
const [FIRST_POLL_MS, MAX_POLL_MS] = [250, 2000];

/** What a refused item's line tells to do: the batch's keys make a resend safe. */
const RESEND =
  "fix the file and send the batch again (the same files, and the same --key if one was given): items already " +
  "accepted keep their key and make no job twice";

/** An answer that is no batch's names no batch id to read back: the items may be queued all the same. */
const SEE_BATCHES =
  "look for its jobs with `gigafactory jobs` before sending it again (under the same --key, its items make no job twice)";

export const batchSubmit: Command = {
  path: ["batch", "submit"],
  args: { names: "FILE…", min: 1, max: 10_000 },
  summary: "submit many job manifests in one bulk request (jobs:batch); prints the batch id to follow it by",
  details: [
    "Each FILE is a markdown manifest as `submit` takes, or a .json file holding {manifest, bodyMd} or the manifest",
    "object; `-` reads one markdown manifest from standard input. A file that cannot be read sends nothing (exit 2).",
    "A batch carries at most 10,000 files and 8 MiB of JSON: a larger one is refused before it is sent",
    "(✘ ERROR payload_too_large, saying how many files a batch may carry).",
    "Prints `✔ batch ID: N items accepted (J jobs)`, one `✘ ERROR` line per refused item naming its file, and",
    "the `gigafactory batch ID` command that shows each item's job once the dispatch queue has made it.",
    "--wait reads the batch back until no item is still on its way, with its progress on stderr.",
    "Exit 1 when any item was refused. Under --json: the API's answer {batchId, accepted, jobs, idempotencyKeys,",
    "items, rejected}, and with --wait also `batch` (what `gigafactory batch ID --json` prints, once done).",
  ],
  options: {
    key: {
      type: "string",
      value: "KEY",
      help: "the batch's Idempotency-Key: an item without its own key is keyed batch:KEY:INDEX, so a resend makes no job twice",
    },
    wait: { type: "boolean", help: "read the batch back until every accepted item has its job (progress on stderr)" },
  },
  async run(ctx) {
    const files = ctx.positionals;
    const key = ctx.str("key");
    // As `children --key` (one rule for a header key): printable ASCII — the HTTP client throws on wider text, which
    // read as the coordinator unreachable — then the route's own rule; refused before 10,000 files are read.
    const bad = key === undefined ? undefined : headerKeyProblem(key);
    if (bad !== undefined) throw usageError(bad, "batch submit");
    const items = await readBatchItems(files, ctx.io.stdin);
    assertBatchFits(items);
    const sent = await ctx.client().submitBatch(items, key);
    const answer = checkedWrite(BatchAcceptedRead, sent, "a batch's answer", SEE_BATCHES) as BatchAccepted;
    if (!ctx.json) {
      ctx.print(acceptedLine(answer, files.length));
      reportRefused(ctx, answer.rejected, files);
      ctx.print(inlined`follow it: gigafactory batch ${answer.batchId}`);
    }
    if (!ctx.flag("wait")) {
      if (ctx.json) ctx.emit(answer);
      return answer.rejected.length > 0 ? 1 : 0;
    }
    const view = await waitForBatch(ctx, answer.batchId);
    if (ctx.json) ctx.emit({ ...answer, batch: view });
    else {
      ctx.print(batchSummary(view));
      // Refused after the 202: the dispatch queue's consumer (a key another request took, a message dead-lettered).
      const before = new Set(answer.rejected.map((r) => r.index));
      const later = view.items.filter((i) => i.status === "rejected" && !before.has(i.index));
      reportRefused(
        ctx,
        later.map((i) => ({ index: i.index, code: i.code ?? "rejected", detail: "refused by the dispatch queue" })),
        files,
      );
    }
    return view.rejected > 0 || answer.rejected.length > 0 ? 1 : 0;
  },
};

/** One `✘ ERROR code: FILE (item N): detail / fix` line on stderr per refused item, in index order. */
function reportRefused(
  ctx: Ctx,
  rejected: ReadonlyArray<{ index: number; code: string; detail: string }>,
  files: readonly string[],
): void {
  for (const r of [...rejected].sort((a, b) => a.index - b.index)) {
    const file = files[r.index] ?? `item ${r.index}`;
    const line = formatError(new CliError(r.code, `${file} (item ${r.index}): ${r.detail}`, RESEND));
    // The detail is the server's and may quote the manifest: its control characters are shown, not obeyed (lineOf).
    ctx.io.stderr(`${terminalText(lineOf(line))}\n`);
  }
}

/** Reads the batch back until `done`, a progress line on stderr each time its counts change (none under --json). */
async function waitForBatch(ctx: Ctx, id: string): Promise<BatchView> {
  const client = ctx.client();
  let last = "";
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, MAX_POLL_MS)) {
    const view = checked(BatchRead, await client.getBatch(id), "a batch") as BatchView;
    const line = progressLine(view);
    if (line !== last) ctx.note(line);
    last = line;
    if (view.done) return view;
    await new Promise((r) => setTimeout(r, pause));
  }
}
