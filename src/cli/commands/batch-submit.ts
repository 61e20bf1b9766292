/**
 * @module cli/commands/batch-submit
 * `gigafactory batch submit FILE…`: many manifests in one `POST …/jobs:batch` (up to 10,000, 8 MiB) instead of one
 * request per file. Prints the `batchId`, how many items were accepted and how many jobs they name (items that
 * repeat an earlier one's key are one job), each refused item as a `✘ ERROR` line naming its file, and the
 * `gigafactory batch ID` that follows it; `--wait` reads the batch back until `done` (no item still on its way
 * through the dispatch queue). `--key K` is the batch's Idempotency-Key: the same files sent again under it make no
 * job twice. Exit 0 when every item was accepted (and, under --wait, made); 1 when any was refused; 130 when Ctrl-C
 * (143 when SIGTERM) came while the batch was on its way or read back (cli/commands/batch-submit-interrupt).
 * Under --json: the API's answer, with `batch` (the batch read back when done) added under --wait.
 */
import { counted } from "../../core/counted.ts";
import type { BatchAccepted, BatchView } from "../../shared/api-batches.ts";
import { ApiError } from "../../shared/http-transport.ts";
import { assertBatchFits, MANIFEST_FORMATS, type ManifestFormat, named, readBatchItems } from "../batch-input.ts";
import type { Command, Ctx } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { failureDocument, failureLine, reportedFailure } from "../failure-report.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { inlined } from "../read-answers-ops.ts";
import { checkedWrite } from "../read-answers-policy.ts";
import { sendListening } from "../request-interrupt.ts";
import { batchSummary } from "./batch.ts";
import { batchStoppingNote, reportAnswerInterrupted, reportFailureInterrupted } from "./batch-submit-interrupt.ts";
import { acceptedLine, BatchAcceptedRead, RESEND, SEE_BATCHES } from "./batch-submit-text.ts";
import { DEFAULT_WAIT_SECONDS, WaitFailed, WaitStopped, waitForBatch, waitTimeoutMs } from "./batch-wait.ts";
import { headerKeyProblem } from "./children.ts";

export const batchSubmit: Command = {
  path: ["batch", "submit"],
  args: { names: "FILE…", min: 1, max: 10_000 },
  summary: "submit many job manifests in one bulk request (jobs:batch); prints the batch id to follow it by",
  details: [
    "Each FILE is a markdown manifest as `submit` takes, or a .json file holding {manifest, bodyMd} or the manifest",
    "object; `-` reads one manifest of either kind from standard input — JSON when it starts with `{`, else markdown,",
    "or as --format says — and says on stderr which it read. A file that cannot be read sends nothing (exit 2).",
    "A batch carries at most 10,000 files and 8 MiB of JSON: a larger one is refused before it is sent",
    "(✘ ERROR payload_too_large, saying how many files a batch may carry).",
    "Prints `✔ batch ID: N items accepted (J jobs)`, one `✘ ERROR` line per refused item naming its file, and",
    "the `gigafactory batch ID` command that shows each item's job once the dispatch queue has made it.",
    "--wait reads the batch back until no item is still on its way, with its progress on stderr, for at most",
    `--wait-timeout seconds (default ${DEFAULT_WAIT_SECONDS}, 0 = no limit); past it, \`✘ ERROR timeout\` naming the items`,
    "still on their way (exit 1; under --json the error document with the answer and `batch` as last read); a read",
    "back that fails says the batch was made and not to send it again (under --json the error with the answer);",
    "Ctrl-C ends the wait the same way, as `✘ ERROR interrupted` (exit 130).",
    "Ctrl-C while the batch is on its way waits for its answer (within --timeout), which decides whether the jobs",
    "went in: it prints what was accepted, starts no --wait, and ends `✘ ERROR interrupted` naming the",
    "`gigafactory batch ID` to follow (exit 130; under --json the answer with `error`); a POST that failed after it",
    "says whether the batch may have gone in and how to send it again safely (under --json {error, failure}).",
    "A second Ctrl-C ends at once, not knowing whether the batch went in.",
    SIGTERM_HELP,
    "Exit 1 when any item was refused. Under --json: the API's answer {batchId, accepted, jobs, idempotencyKeys,",
    "items, rejected}, and with --wait also `batch` (what `gigafactory batch ID --json` prints, once done).",
  ],
  options: {
    key: {
      type: "string",
      value: "KEY",
      help: "the batch's Idempotency-Key: an item without its own key is keyed by its content under it, so a resend (in any order) makes no job twice",
    },
    format: {
      type: "string",
      value: "FORMAT",
      choices: MANIFEST_FORMATS,
      help: "how `-` (standard input) is read: md or json (default: json when it starts with `{`)",
    },
    wait: { type: "boolean", help: "read the batch back until every accepted item has its job (progress on stderr)" },
    "wait-timeout": {
      type: "string",
      value: "SECONDS",
      help: `how long --wait may wait, in all (default ${DEFAULT_WAIT_SECONDS}; 0 = no limit)`,
    },
  },
  async run(ctx) {
    const files = ctx.positionals;
    const key = ctx.str("key");
    // As `children --key` (one rule for a header key): printable ASCII — the HTTP client throws on wider text, which
    // read as the coordinator unreachable — then the route's own rule; refused before 10,000 files are read.
    const bad = key === undefined ? undefined : headerKeyProblem(key);
    if (bad !== undefined) throw usageError(bad, "batch submit");
    const format = ctx.str("format") as ManifestFormat | undefined;
    // Read before anything is sent: a typo in it is a usage error, not a batch sent and then left unwaited for.
    const limitMs = waitTimeoutMs(ctx.str("wait-timeout"));
    if (ctx.str("wait-timeout") !== undefined && !ctx.flag("wait")) {
      throw usageError("--wait-timeout bounds --wait: give --wait too, or drop it", "batch submit");
    }
    // A named file's format is its name's (.json or markdown): a --format it could not apply to is a mistake to say.
    if (format !== undefined && !files.includes("-")) {
      throw usageError(
        "--format says how `-` (standard input) is read; name no file `-`, so it has nothing to apply to",
        "batch submit",
      );
    }
    const { items, stdin } = await readBatchItems(files, ctx.io.stdin, format);
    if (stdin !== undefined) ctx.note(stdinNote(stdin.format, stdin.bytes, format !== undefined));
    assertBatchFits(items);
    // Ctrl-C while the POST is out waits for its answer (batch-submit-interrupt): it decides whether the jobs went in.
    const sent = await sendListening(ctx, batchStoppingNote(items.length), async () => {
      const doc = await ctx
        .client()
        .submitBatch(items, key)
        .catch((err: unknown) => {
          throw withFiles(err, files);
        });
      return checkedWrite(BatchAcceptedRead, doc, "a batch's answer", SEE_BATCHES) as BatchAccepted;
    });
    if ("failed" in sent) return reportFailureInterrupted(ctx, sent.stopped, sent.failed, key);
    const { answer } = sent;
    if (!ctx.json) {
      ctx.print(acceptedLine(answer, files.length));
      reportRefused(ctx, answer.rejected, files);
      ctx.print(inlined`follow it: gigafactory batch ${answer.batchId}`);
    }
    // The user asked to stop: the answer is said, and --wait is not started.
    if (sent.stopped) return reportAnswerInterrupted(ctx, sent.stopped, answer, files.length, ctx.flag("wait"));
    if (!ctx.flag("wait")) {
      if (ctx.json) ctx.emit(answer);
      return answer.rejected.length > 0 ? 1 : 0;
    }
    let view: BatchView;
    try {
      view = await waitForBatch(ctx, answer.batchId, limitMs, files);
    } catch (err) {
      if (err instanceof WaitFailed) return waitReadFailed(ctx, err, answer);
      if (!(err instanceof WaitStopped)) return readBackFailed(ctx, err, answer);
      ctx.io.stderr(failureLine(ctx, err.error));
      if (ctx.json) ctx.emit({ ...failureDocument(ctx, err.error), ...answer, batch: err.view });
      return err.error.exitCode;
    }
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

/**
 * A refusal of the whole batch (400 `body.items.N…: …`) with each item it names given its file (batch-input `named`);
 * any other error as it came.
 */
function withFiles(err: unknown, files: readonly string[]): unknown {
  if (!(err instanceof ApiError)) return err;
  const detail = named(err.detail, files);
  if (detail === err.detail) return err;
  const { status, code, title, body, fromCoordinator, contentRange, retryAfter } = err;
  return new ApiError(status, code, title, detail, body, fromCoordinator, contentRange, retryAfter);
}

/** `standard input: read as a JSON manifest (212 bytes; it starts with \`{\`)` — stderr, as the items are sent. */
function stdinNote(format: ManifestFormat, bytes: number, told: boolean): string {
  const what =
    format === "json" ? "a JSON manifest ({manifest, bodyMd} or the manifest object)" : "a markdown manifest";
  const why = told ? "as --format says" : format === "json" ? "it starts with `{`" : "it does not start with `{`";
  return `standard input: read as ${what} (${counted(bytes, "byte")}; ${why})`;
}

/** One `✘ ERROR code: FILE (item N): detail / fix` line on stderr per refused item, in index order. */
function reportRefused(
  ctx: Ctx,
  rejected: ReadonlyArray<{ index: number; code: string; detail: string }>,
  files: readonly string[],
): void {
  for (const r of [...rejected].sort((a, b) => a.index - b.index)) {
    const file = files[r.index] ?? `item ${r.index}`;
    // The detail is the server's and may quote the manifest: its control characters are shown, not obeyed (lineOf).
    ctx.io.stderr(failureLine(ctx, new CliError(r.code, `${file} (item ${r.index}): ${r.detail}`, RESEND)));
  }
}

/**
 * A --wait read back failed, no signal given: its `✘ ERROR` (its own code and exit) saying the batch was made — the
 * 202 said so — and not to send it again; under --json the error document with the answer, its `batchId` among it.
 * Thrown as it came, it printed the error alone: a script had no batchId to follow, and sent the batch again.
 * @returns the failure's exit code
 */
function readBackFailed(ctx: Ctx, err: unknown, answer: BatchAccepted): number {
  const { error: failure, wait } = reportedFailure(ctx, err);
  const e = new CliError(
    failure.code,
    `batch ${answer.batchId} was made (${counted(answer.accepted, "item")} accepted), but reading it back failed: ${failure.message}`,
    `send nothing again; follow it with \`gigafactory batch ${answer.batchId}\` (${failure.fix})`,
    failure.exitCode,
  );
  ctx.io.stderr(failureLine(ctx, e));
  if (ctx.json) ctx.emit({ ...failureDocument(ctx, e, wait), ...answer });
  return e.exitCode;
}

/**
 * A --wait read back failed after Ctrl-C or SIGTERM: its own `✘ ERROR` line, then `✘ ERROR interrupted` (the signal's
 * exit) saying the items are accepted — the 202 said so — and how to follow them; under --json one document, the
 * answer with `error` and `failure` (it exited 1 naming neither the signal nor, under --json, the batch: pass 46 review).
 * @returns the signal's exit code (130, 143)
 */
function waitReadFailed(ctx: Ctx, err: WaitFailed, answer: { batchId: string }): number {
  const { how } = err;
  const { error: failure, wait } = reportedFailure(ctx, err.failure);
  const e = new CliError(
    "interrupted",
    `stopped by ${how.by} while batch ${answer.batchId} was read back, and the read failed (${failure.code}): its items are accepted and queued`,
    `send nothing again; follow them with \`gigafactory batch ${answer.batchId}\``,
    how.exitCode,
  );
  ctx.io.stderr(failureLine(ctx, failure));
  ctx.io.stderr(failureLine(ctx, e, false));
  if (ctx.json) ctx.emit({ ...failureDocument(ctx, e), ...answer, failure: failureDocument(ctx, failure, wait).error });
  return e.exitCode;
}
