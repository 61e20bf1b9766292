/**
 * @module cli/commands/job-actions-many
 * `gigafactory ship|requeue|cancel|approve|reject ID…` on several jobs, or on the ids read from standard input
 * (`-`: `gigafactory jobs --stage testing --all --json | jq -r '.jobs[].id' | gigafactory ship -`). The API has no
 * bulk action, so it is one request per job, 8 in flight; each job's fate is one line (`✔ ship: job J is now
 * shipped`, or a `✘ ERROR` line naming the job on stderr), then the tally (`✔ 54 shipped, ✘ 2 refused`). Exit 0 only
 * when every job was acted on. Under --json: one entry per id in the order given, `{id, job}` or
 * `{id, error: {code, message, fix, retryAfterSeconds?}}` — the wait a 429 or 503 named, as the whole command's error
 * document has it (cli/failure-report). Ctrl-C (or SIGTERM) tries no further job and says which were not tried, exit
 * 130 (143 for SIGTERM; cli/commands/job-actions-interrupt).
 */
import { terminalText } from "../../core/terminal-text.ts";
import { EntityId } from "../../shared/api.ts";
import { EXIT_USAGE } from "../../shared/fixable-error.ts";
import type { Job, JobAction } from "../../shared/http-client.ts";
import { ApiError } from "../../shared/http-client.ts";
import type { Ctx } from "../context.ts";
import { CliError } from "../errors.ts";
import { failureLine, reportedFailure } from "../failure-report.ts";
import { readInputStream } from "../input-file.ts";
import { listenForInterrupt } from "../interruption.ts";
import { mapLimit } from "../pool.ts";
import { createProgress } from "../progress.ts";
import { checked } from "../read-answers.ts";
import { inlined, JobActedRead } from "../read-answers-ops.ts";
import { lineOf } from "../read-answers-policy.ts";
import { utf8Text } from "../utf8-text.ts";
import { DONE, reportActionsInterrupted, stoppingActionsNote } from "./job-actions-interrupt.ts";

/** As submit: enough to hide round trips, few enough not to crowd the product's single-writer coordinator. */
const IN_FLIGHT = 8;
/** The most ids one command takes, from the command line and standard input together (as `submit`'s files). */
export const MAX_IDS = 10_000;
/** Standard input's bound: 10,000 ids of 64 characters, one a line, and room for a CRLF each. */
const MAX_STDIN_BYTES = MAX_IDS * 66;

/**
 * One job's fate: acted on (the job after it), refused by the coordinator, failed otherwise / not sent after a foreign
 * answer, or not tried because Ctrl-C or SIGTERM came first.
 */
type Fate =
  | { id: string; job: Job }
  | { id: string; error: CliError; refused: boolean; wait?: number }
  | { id: string; untried: true };
/** A fate of a job that was tried. */
type Tried = Exclude<Fate, { untried: true }>;

/** One --json entry; `retryAfterSeconds`: the wait (whole s) a 429 or 503 named for that job, when it named one. */
export type ActionEntry =
  | { id: string; job: Job }
  | { id: string; error: { code: string; message: string; fix: string; retryAfterSeconds?: number } };

/**
 * The job ids of the command line, `-` replaced by standard input's (whitespace-separated, `jq -r` output), each
 * once in the order first named. Every id is checked before anything is sent: a typo among 56 would otherwise be
 * found after 55 actions were done.
 * @throws CliError usage (exit 2) — `-` twice, no standard input, an id no API path takes, more than MAX_IDS
 */
export async function jobIdsOf(ctx: Ctx, action: JobAction): Promise<string[]> {
  const named = ctx.positionals;
  if (named.filter((p) => p === "-").length > 1) throw usage("`-` (standard input) is given twice", action);
  const all: string[] = [];
  for (const p of named) {
    if (p !== "-") all.push(p);
    else {
      if (!ctx.io.stdin) throw usage("`-` reads the job ids from standard input, and there is none", action);
      const bytes = await readInputStream(ctx.io.stdin(), MAX_STDIN_BYTES, "job ids");
      for (const id of utf8Text(bytes, "standard input: ", "pipe the ids in as text").split(/\s+/)) {
        if (id !== "") all.push(id);
      }
    }
  }
  const ids = [...new Set(all)];
  const bad = ids.find((id) => !EntityId.safeParse(id).success);
  if (bad !== undefined) {
    throw new CliError(
      "usage",
      `${JSON.stringify(bad.slice(0, 80))} is not a job id; nothing was sent`,
      "give job ids (job_ then letters and digits), e.g. `gigafactory jobs --json | jq -r '.jobs[].id'`",
      EXIT_USAGE,
    );
  }
  if (ids.length > MAX_IDS) throw usage(`${ids.length} job ids: one command takes at most ${MAX_IDS}`, action);
  return ids;
}

const usage = (what: string, action: JobAction): CliError =>
  new CliError("usage", what, `see \`gigafactory ${action} --help\``, EXIT_USAGE);

/**
 * Does `action` with `body` on each of `ids` (one request each) and reports as the module says.
 * @returns the exit code: 0 when every job was acted on; the failures' own when they share one; else 1
 */
export async function actOnMany(
  ctx: Ctx,
  action: JobAction,
  ids: readonly string[],
  body: Parameters<ReturnType<Ctx["client"]>["action"]>[2],
): Promise<number> {
  if (ids.length === 0) {
    // An empty pipe (no job in that stage) is nothing to do, not a failure of the script around it.
    ctx.note(`no job ids on standard input: nothing ${DONE[action]}`);
    if (ctx.json) ctx.emit([]);
    return 0;
  }
  const client = ctx.client();
  const progress =
    ids.length > 1 && !ctx.json ? createProgress(ctx.io.stderr, ids.length, ctx.io.stderrIsTTY) : undefined;
  // The first job whose answer was not a job: the URL is no coordinator, and nothing more is sent to it.
  let foreign: string | undefined;
  // The jobs whose answer is awaited: the first signal names them (their answers say whether they were acted on).
  const inFlight = new Set<string>();
  const interrupt = listenForInterrupt(ctx, (how) => {
    // On a line of its own: the bar's line is open, redrawn in place.
    const open = progress && ctx.io.stderrIsTTY ? "\n" : "";
    ctx.io.stderr(`${open}${terminalText(stoppingActionsNote(how, DONE[action], [...inFlight]))}\n`);
  });
  const fates = await mapLimit(ids, IN_FLIGHT, async (id): Promise<Fate> => {
    if (interrupt.stopped()) return { id, untried: true };
    let fate: Tried;
    try {
      if (foreign !== undefined) throw notSent(foreign);
      inFlight.add(id);
      const acted = await client.action(id, action, body).finally(() => inFlight.delete(id));
      fate = { id, job: checked(JobActedRead, acted, "a job") as Job };
    } catch (err) {
      // As cli/run tells a failure (cli/failure-report): a 429 or 503's wait first in its fix.
      const { error, wait } = reportedFailure(ctx, err);
      if (error.code === "bad_response") foreign ??= id;
      fate = { id, error, refused: err instanceof ApiError, ...(wait === undefined ? {} : { wait }) };
    }
    progress?.tick(lineOf("job" in fate ? `${id} → ${fate.job.stage}` : `${id} (${fate.error.code})`), "job" in fate);
    return fate;
  });
  progress?.finish();
  interrupt.off();
  const tried = fates.filter((f): f is Tried => !("untried" in f));
  for (const f of tried) {
    if ("error" in f) {
      const e = new CliError(f.error.code, `job ${f.id}: ${f.error.message}`, f.error.fix, f.error.exitCode);
      ctx.io.stderr(failureLine(ctx, e));
    }
  }
  if (!ctx.json) {
    for (const f of tried) if ("job" in f) ctx.print(inlined`✔ ${action}: job ${f.id} is now ${f.job.stage}`);
    ctx.print(tally(action, fates));
  }
  const interrupted = interrupt.stopped();
  if (interrupted) {
    const notTried = fates.flatMap((f) => ("untried" in f ? [f.id] : []));
    return reportActionsInterrupted(ctx, interrupted, action, tried.map(entryOf), notTried);
  }
  if (ctx.json) ctx.emit(tried.map(entryOf));
  const exits = new Set(tried.flatMap((f) => ("error" in f ? [f.error.exitCode] : [])));
  return exits.size === 0 ? 0 : exits.size === 1 ? ([...exits][0] ?? 1) : 1;
}

export function entryOf(f: Tried): ActionEntry {
  if ("job" in f) return { id: f.id, job: f.job };
  const { code, message, fix } = f.error;
  return { id: f.id, error: { code, message, fix, ...(f.wait === undefined ? {} : { retryAfterSeconds: f.wait }) } };
}

/**
 * `✔ 54 shipped, ✘ 2 refused, 1 failed, 3 not tried` — only the parts that are not 0 (`✔ 0 shipped` when none
 * was); `not tried` after a Ctrl-C or SIGTERM only.
 */
export function tally(action: JobAction, fates: readonly Fate[]): string {
  const ok = fates.filter((f) => "job" in f).length;
  const refused = fates.filter((f) => "error" in f && f.refused).length;
  const untried = fates.filter((f) => "untried" in f).length;
  const failed = fates.length - ok - refused - untried;
  const bad = [
    refused > 0 ? `${refused} refused` : "",
    failed > 0 ? `${failed} failed` : "",
    untried > 0 ? `${untried} not tried` : "",
  ].filter(Boolean);
  const head = `${ok > 0 || bad.length === 0 ? `✔ ${ok} ${DONE[action]}` : ""}`;
  const tail = bad.length > 0 ? `✘ ${bad.join(", ")}` : "";
  return [head, tail].filter(Boolean).join(", ") + (ok === 0 && bad.length > 0 ? ` (none ${DONE[action]})` : "");
}

/** A job not sent because an earlier job's answer (`foreign`'s) was not a job: each further one is another write. */
function notSent(foreign: string): CliError {
  return new CliError(
    "not_sent",
    `not sent: the answer for job ${foreign} was not a job, so nothing more went to that URL`,
    "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator, then run the command again",
  );
}
