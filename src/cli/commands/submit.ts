/**
 * @module cli/commands/submit
 * `gigafactory submit FILE.md…`: sends each manifest verbatim as
 * `text/markdown` — the server owns parsing, so the CLI can never disagree
 * with it — up to 8 at a time. One bad file is reported (file + the server's
 * detail) and the rest still go in; the exit code says whether all did.
 * Under --json: one entry per file, in the order given — `{file, result:
 * "created"|"existing", job}` or `{file, error: {code, message, fix, retryAfterSeconds?}}` (the wait a 429 or 503
 * named, as the whole command's error document has it: cli/failure-report) — so a
 * script sees what the table shows (which file, whether it was a replay).
 * A manifest's reading (a file, or standard input for `-`): cli/manifest-input.
 */
import { terminalText } from "../../core/terminal-text.ts";
import type { Job } from "../../shared/http-client.ts";
import { nearestName } from "../../shared/nearest-name.ts";
import type { Command, Ctx } from "../context.ts";
import { CliError, toCliError } from "../errors.ts";
import { failureLine, reportedFailure } from "../failure-report.ts";
import { foreignRefusal } from "../foreign-fix.ts";
import { listenForInterrupt, SIGTERM_HELP } from "../interruption.ts";
import { readManifest, SEE_HELP } from "../manifest-input.ts";
import { mapLimit } from "../pool.ts";
import { createProgress } from "../progress.ts";
import { checkedWrite, lineOf, lineTable, SubmittedRead } from "../read-answers-policy.ts";
import { reportInterrupted, type Settled, stoppingNote } from "../submit-interrupt.ts";

/** 8 in flight: enough to hide round trips, few enough not to crowd a product's single-writer coordinator. */
const IN_FLIGHT = 8;

type Outcome =
  | { file: string; job: Job; replayed: boolean }
  | { file: string; error: CliError; wait?: number }
  // Not sent: Ctrl-C or SIGTERM came first (cli/submit-interrupt).
  | { file: string; unsent: true };

/** One --json entry: what the table's row (or the stderr line) says about one file; a 429 or 503's wait (whole s). */
export type SubmitEntry =
  | { file: string; result: "created" | "existing"; job: Job }
  | { file: string; error: { code: string; message: string; fix: string; retryAfterSeconds?: number } };

/**
 * The markdown form has no way to write a `children:` list (its frontmatter nests one level), so the server's
 * refusal names an indentation problem; say what does carry children.
 */
const CHILDREN_FIX =
  "children: needs a JSON manifest (POST …/jobs with {manifest}) or `gigafactory children ID FILE.json` after submitting the parent";

/** An issue about the `children` key itself (`children:` or `children.0.title:`), not one naming it among others. */
const CHILDREN_ISSUE = /(?:^|: |; )children(?:\.[\w.]+)?: /;
/** core/manifest's refusal of a key it does not know: `line 3: priorty: unknown key (allowed: title, …)`. */
const UNKNOWN_KEY = /(?:^|: |; )([\w.-]+): unknown key \(allowed: ([^)]*)\)/;

/**
 * The refusal of one file, with a fix that fits what went wrong in it. The allowed keys an unknown-key refusal lists
 * include `children`, so it is read first: it got the children fix, telling someone who wrote `priorty:` to use JSON.
 */
export function fileError(err: unknown): CliError {
  const e = toCliError(err);
  if (e.code !== "invalid_manifest" || foreignRefusal(err)) return e; // another server's code is not core/manifest's
  const unknown = UNKNOWN_KEY.exec(e.message);
  if (unknown) {
    const key = unknown[1] as string;
    const meant = nearestName(key.split(".").at(-1) as string, (unknown[2] as string).split(", "));
    const fix = meant
      ? `did you mean \`${meant}\`? Rename \`${key}\` in the frontmatter and submit it again`
      : `remove \`${key}\` from the frontmatter, or rename it to one of the allowed keys, and submit it again`;
    return new CliError(e.code, e.message, fix, e.exitCode);
  }
  if (CHILDREN_ISSUE.test(e.message)) return new CliError(e.code, e.message, CHILDREN_FIX, e.exitCode);
  return e;
}

/** The fix's tail after a submission whose answer is not a job: the manifest may have become one all the same. */
const SEE_JOBS = "look for it with `gigafactory jobs` before submitting it again";

/**
 * A file not sent because an earlier file's answer (`foreign`'s) was not a job: the URL answers as no coordinator
 * does, and each further manifest would be one more write to it (with 10,000 files, 10,000 of them).
 */
function notSent(foreign: string): CliError {
  return new CliError(
    "not_sent",
    `not sent: the answer for ${foreign} was not a job, so nothing more went to that URL`,
    "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, then submit the files again",
  );
}

export function submitEntry(o: Exclude<Outcome, { unsent: true }>): SubmitEntry {
  if ("error" in o) {
    const { code, message, fix } = o.error;
    return {
      file: o.file,
      error: { code, message, fix, ...(o.wait === undefined ? {} : { retryAfterSeconds: o.wait }) },
    };
  }
  return { file: o.file, result: o.replayed ? "existing" : "created", job: o.job };
}

export const submit: Command = {
  path: ["submit"],
  args: { names: "FILE.md…", min: 1, max: 10_000 },
  summary: "submit job manifests (markdown with frontmatter); prints the jobs created or already there",
  details: [
    "Prints ID, TITLE, STAGE, RESULT (created, or existing: the idempotencyKey matched a job) and FILE;",
    "a file that fails is one `✘ ERROR` line on stderr and the others still go in (exit 1 if any failed; 2 when each",
    "that failed could not be read or is not UTF-8 text, as for any input file the command line names).",
    'Under --json: an array, one entry per file in the order given: {file, result: "created"|"existing", job}',
    "or {file, error: {code, message, fix, retryAfterSeconds?}} (the wait a 429 or 503 named, in seconds).",
    "A markdown manifest cannot carry `children:`; give a job children with `gigafactory children ID FILE.json`.",
    "`-` reads one manifest from standard input (`generate-manifest | gigafactory submit -`); its FILE is `-`.",
    "Ctrl-C sends no more files, waits for the answers on their way, then says which files were submitted and which",
    "were not sent (exit 130; under --json {error, sent, notSent}); a second Ctrl-C ends at once.",
    SIGTERM_HELP,
  ],
  options: {},
  async run(ctx) {
    const files = ctx.positionals;
    // Standard input can be read once: a second `-` would submit nothing, as a failure of its own.
    if (files.filter((f) => f === "-").length > 1)
      throw new CliError("usage", "`-` (standard input) is given twice: it holds one manifest", SEE_HELP, 2);
    const client = ctx.client();
    const progress =
      files.length > 1 && !ctx.json ? createProgress(ctx.io.stderr, files.length, ctx.io.stderrIsTTY) : undefined;
    // The first file whose answer was not a job: the URL is not a coordinator, and no later file is sent to it.
    let foreign: string | undefined;
    // The files whose answer is awaited, by their place on the command line (a file may be named twice).
    const inFlight = new Map<number, string>();
    const interrupt = listenForInterrupt(ctx, (how) => {
      // On a line of its own: the bar's line is open, redrawn in place.
      ctx.io.stderr(
        `${progress && ctx.io.stderrIsTTY ? "\n" : ""}${terminalText(stoppingNote(how, [...inFlight.values()]))}\n`,
      );
    });
    const outcomes = await mapLimit(files, IN_FLIGHT, async (file, i): Promise<Outcome> => {
      let outcome: Outcome;
      try {
        if (interrupt.stopped()) return { file, unsent: true };
        // Raced with the signal: a pipe that never ends (`-`, a FIFO) would hold the command after it for ever.
        const markdown = await Promise.race([readManifest(file, ctx.io.stdin), interrupt.when.then(() => undefined)]);
        // Read while the signal came, or not read by then: not sent either.
        if (markdown === undefined || interrupt.stopped()) return { file, unsent: true };
        if (foreign !== undefined) throw notSent(foreign);
        inFlight.set(i, file);
        const { job, replayed } = await client.submit({ markdown }).finally(() => inFlight.delete(i));
        outcome = { file, job: checkedWrite(SubmittedRead, job, "a job", SEE_JOBS), replayed };
      } catch (err) {
        // As cli/run tells a failure (cli/failure-report): a 429 or 503's wait first in its fix.
        const { error, wait } = reportedFailure(ctx, err, fileError);
        if (error.code === "bad_response") foreign ??= file;
        outcome = { file, error, ...(wait === undefined ? {} : { wait }) };
      }
      // A manifest whose idempotencyKey matched a job made none: "→ job" alone read as a new one.
      const already = "job" in outcome && outcome.replayed ? " (already submitted)" : "";
      const label = "job" in outcome ? `${file} → ${outcome.job.id}${already}` : `${file} (failed)`;
      progress?.tick(terminalText(lineOf(label)), "job" in outcome);
      return outcome;
    });
    progress?.finish();
    interrupt.off();

    const ok = outcomes.filter((o) => "job" in o);
    for (const o of outcomes) {
      // Name the file in the report: with many files the server's detail alone does not say which one.
      if ("error" in o) {
        const e = o.error;
        // The server's detail may quote text from elsewhere: its control characters are shown, not obeyed, and its
        // bidi controls do not reorder the line (lineOf).
        ctx.io.stderr(failureLine(ctx, new CliError(e.code, `${o.file}: ${e.message}`, e.fix, e.exitCode)));
      }
    }
    const interrupted = interrupt.stopped();
    if (interrupted) {
      printOk(ctx, ok);
      return reportInterrupted(ctx, interrupted, outcomes.map(settledOf));
    }
    if (ctx.json) ctx.emit(outcomes.map(settledOf).map((o) => o.entry));
    else printOk(ctx, ok);
    const failed = outcomes.length - ok.length;
    const existing = ok.filter((o) => o.replayed).length;
    if ((failed > 0 || existing > 0) && files.length > 1) ctx.note(tally(ok.length - existing, existing, failed));
    return failed > 0 ? batchExit(outcomes) : 0;
  },
};

/**
 * The exit of a batch with failures: theirs when they all have one (a file named that cannot be read alone: 2, as one
 * command line naming it; cli/exit-codes), else 1 — some file was refused or failed on its way.
 */
function batchExit(outcomes: readonly Outcome[]): number {
  const exits = new Set(outcomes.flatMap((o) => ("error" in o ? [o.error.exitCode] : [])));
  return exits.size === 1 ? ([...exits][0] ?? 1) : 1;
}

/** The table of the files that went in (ID, TITLE, STAGE, RESULT, FILE), on stdout; nothing under --json or none. */
function printOk(ctx: Ctx, ok: ReadonlyArray<{ file: string; job: Job; replayed: boolean }>): void {
  if (!ctx.json && ok.length > 0) {
    const rows = ok.map((o) => [o.job.id, o.job.title, o.job.stage, o.replayed ? "existing" : "created", o.file]);
    ctx.print(
      lineTable(
        [{ header: "ID" }, { header: "TITLE", max: 48 }, { header: "STAGE" }, { header: "RESULT" }, { header: "FILE" }],
        rows,
      ),
    );
  }
}

/** `o` as an interrupted batch's summary counts it, with its --json entry when it was sent. */
function settledOf(o: Outcome): { file: string; how: Settled; entry?: SubmitEntry } {
  if ("unsent" in o) return { file: o.file, how: "unsent" };
  const how = "error" in o ? "failed" : o.replayed ? "existing" : "created";
  return { file: o.file, how, entry: submitEntry(o) };
}

/** "2 submitted, 3 already submitted, 1 failed" (the last two only when some): the closing line of a batch. */
function tally(created: number, existing: number, failed: number): string {
  const parts = [`${created} submitted`];
  if (existing > 0) parts.push(`${existing} already submitted (their idempotencyKey matched a job; none made)`);
  if (failed > 0) parts.push(`${failed} failed`);
  return parts.join(", ");
}
