/**
 * @module cli/submit-interrupt
 * `submit` of several files stopped by Ctrl-C (SIGINT) or SIGTERM (cli/interruption). It ended the process at once,
 * saying nothing: which files had gone in and which had not was left to guess, and a file submitted again without an
 * idempotencyKey makes a second job. Now the first signal stops sending (no file is sent after it), waits for the
 * answers already on their way (each bounded by --timeout) and ends with exit 130 (143 for SIGTERM) saying, one line
 * per outcome, which files were submitted, already submitted, refused, or not sent — under --json one document,
 * `{error, sent, notSent}`. A second signal ends at once (cli/main), without those lines.
 */

import { counted } from "../core/counted.ts";
import { terminalText } from "../core/terminal-text.ts";
import type { Ctx } from "./context.ts";
import { CliError } from "./errors.ts";
import { failureDocument, failureLine } from "./failure-report.ts";
import type { Interruption } from "./interruption.ts";
import { lineOf } from "./read-answers-policy.ts";

/**
 * The line the first signal (`how`) prints on stderr: no more files go, and which are waited for (`inFlight`, their
 * answers decide whether they went in), or that none are.
 */
export function stoppingNote(how: Interruption, inFlight: readonly string[]): string {
  const waiting =
    inFlight.length === 0
      ? "none is on its way"
      : `waiting for the answers for the ${inFlight.length} on their way (${inFlight.join(", ")}); ${how.again} ends at once, not knowing whether those went in`;
  return lineOf(`${how.by}: no more files are sent; ${waiting}`);
}

/** One file's outcome as the summary counts it. */
export type Settled = "created" | "existing" | "failed" | "unsent";

/** Each outcome's word in the summary, with what it means when that is not plain. */
const HEADINGS: ReadonlyArray<readonly [Settled, string, string?]> = [
  ["created", "submitted"],
  ["existing", "already submitted", "their idempotencyKey matched a job, none made"],
  ["failed", "failed", "refused, see its ✘ ERROR line"],
  ["unsent", "not sent"],
];

/**
 * Ends a batch interrupted by `how`: on stderr one line per outcome that has files (`submitted (2): a.md, b.md`) and
 * the `✘ ERROR interrupted` line; under --json stdout's one document `{error, sent, notSent}` instead of the per-file
 * array — `sent` the entries of the files sent (as without a signal), `notSent` the files never sent.
 * @returns the signal's exit code (`how.exitCode`: 130, 143)
 */
export function reportInterrupted<E>(
  ctx: Ctx,
  how: Interruption,
  settled: ReadonlyArray<{ file: string; how: Settled; entry?: E }>,
): number {
  const unsent = settled.filter((s) => s.how === "unsent").map((s) => s.file);
  const sentCount = settled.length - unsent.length;
  const again =
    unsent.length === 0
      ? "every file was sent before it: none is left unsent"
      : `submit the ${unsent.length} not sent again (${ctx.json ? "notSent" : "listed as `not sent` above"}); the others were sent — one sent again without an idempotencyKey makes a second job`;
  const e = new CliError(
    "interrupted",
    `stopped by ${how.by} after ${sentCount} of ${counted(settled.length, "file")} ${sentCount === 1 ? "was" : "were"} sent`,
    again,
    how.exitCode,
  );
  if (!ctx.json) {
    for (const [how, word, meaning] of HEADINGS) {
      const files = settled.filter((s) => s.how === how).map((s) => s.file);
      const heading = `${word} (${files.length}${meaning ? `; ${meaning}` : ""})`;
      if (files.length > 0) ctx.io.stderr(`${terminalText(lineOf(`${heading}: ${files.join(", ")}`))}\n`);
    }
  }
  ctx.io.stderr(failureLine(ctx, e, false));
  if (ctx.json) {
    const sent = settled.filter((s) => s.how !== "unsent").map((s) => s.entry);
    ctx.emit({ ...failureDocument(ctx, e), sent, notSent: unsent });
  }
  return how.exitCode;
}
