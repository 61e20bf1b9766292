/**
 * @module cli/commands/job-actions
 * `gigafactory requeue|cancel|ship|approve|reject ID…`: the operator actions
 * on a job, one command each (they read as verbs at the prompt). The server
 * checks the transition; the CLI reports the stage the job ended up in.
 * Under --json: the job after the action. Several ids, or `-` (ids from standard input), act on each
 * (cli/commands/job-actions-many: a line per job, a tally, `--json` one entry per id). `approve|reject --round N` fences the verdict to the
 * review round `reviews ID` showed, as `review approve|reject --round N` does. `requeue --budget-usd N` /
 * `--budget-tokens N` raise the job's own budget with it: a job that has
 * spent its budget is refused (`✘ ERROR budget_exceeded: … / raise …`) without. Ctrl-C while the request on one id
 * is out waits for its answer and ends exit 130 (cli/commands/job-actions-interrupt).
 */
import { ACTION_NOTE_MAX_BYTES, ActionBody, JOB_ACTIONS } from "../../shared/api.ts";
import type { JobAction } from "../../shared/http-client.ts";
import { decimal, type OptionSpec } from "../args.ts";
import type { Command, Ctx } from "../context.ts";
import { usageError } from "../errors.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { plainNameInput, plainTextInput } from "../plain-input.ts";
import { checked } from "../read-answers.ts";
import { inlined, JobActedRead } from "../read-answers-ops.ts";
import { sendListening } from "../request-interrupt.ts";
import { actionAnswered, actionFailed, DONE, stoppingActionNote } from "./job-actions-interrupt.ts";
import { actOnMany, jobIdsOf, MAX_IDS } from "./job-actions-many.ts";

const SUMMARIES: Record<JobAction, string> = {
  requeue: "put a job back in the queue (a failed job gets a fresh set of attempts)",
  cancel: "cancel a job; a factory working on it is told to stop",
  ship: "mark a job shipped",
  approve: "approve a job in review (counts once per token; see `review approve`)",
  // core/review REJECTABLE: built (review, testing) or being built (assigned, building; its factory is stopped).
  reject:
    "reject a job in review or testing, or one still running (fails it; onReject: requeue sends a job in review " +
    "or running back to the queue with the note as feedback)",
};

/** `--note` as each action uses it: only a reject passes it on to the next attempt. */
const NOTE_HELP: Record<JobAction, string> = {
  requeue: "why; kept in the audit log",
  cancel: "why; kept in the audit log",
  ship: "why; kept in the audit log",
  // The review record keeps 500 bytes of it (core/review `reviewComment`); the rest is kept where said.
  approve: "the review's comment (the review keeps its first 500 bytes); kept whole in the audit log",
  reject:
    "why; the review keeps its first 500 bytes; kept whole in the audit log and as feedback for a requeued rework, " +
    "and in the lesson it records",
};

/** Approve and reject only: the legacy display label a review may carry, and the review round it is fenced to. */
const REVIEWER_OPTION: Record<string, OptionSpec> = {
  reviewer: {
    type: "string",
    value: "NAME",
    help: "a label only: the review counts as this token, whatever the name",
  },
  // As `review approve|reject --round` (cli/commands/review): the legacy endpoint takes the same fence.
  round: {
    type: "string",
    value: "ROUND",
    int: { min: 0, max: Number.MAX_SAFE_INTEGER },
    help: "the round id `reviews ID` prints (ms: when the build under review was queued): refused if the job was requeued and rebuilt since",
  },
};

/** Requeue only: the job's new own budget (its whole spend, earlier runs included; above what it has spent). */
const BUDGET_OPTIONS: Record<string, OptionSpec> = {
  "budget-usd": {
    type: "string",
    value: "N",
    help: "raise the job's budget to N USD in all (above what it has spent): needed when it spent its budget",
  },
  "budget-tokens": {
    type: "string",
    value: "N",
    int: { min: 1, max: 1e9 },
    help: "raise the job's token budget to N in all (above what it has used)",
  },
};

function actionCommand(action: JobAction): Command {
  return {
    path: [action],
    args: { names: "ID…", min: 1, max: MAX_IDS },
    jobIdArg: true,
    summary: SUMMARIES[action],
    details: [
      `Several ids (or \`-\`: the ids on standard input, one per line or space-separated) ${action} each, one request`,
      "per job: a line per job, then the tally (e.g. `✔ 54 shipped, ✘ 2 refused`); exit 1 if any was refused.",
      "Under --json with several ids or `-`: one entry per id, in order: {id, job} or {id, error: {code, message, fix,",
      "retryAfterSeconds?}} (the wait a 429 or 503 named, in seconds).",
      "Ctrl-C tries no more jobs, waits for the answers on their way, then prints the tally so far and the ids not",
      "tried (exit 130; under --json {error, tried, notTried}); a second Ctrl-C ends at once.",
      "On one id, Ctrl-C while its request is out waits for the answer (within --timeout), which decides whether the",
      `job was ${DONE[action]}: it prints the answer as without it and ends \`✘ ERROR interrupted\` (exit 130; under --json`,
      "the job with `error`); a request that failed after it says whether the job may have been acted on and to read",
      "it with `gigafactory job ID` before acting again (under --json {error, failure}).",
      SIGTERM_HELP,
      `e.g. gigafactory jobs --stage testing --all --json | jq -r '.jobs[].id' | gigafactory ${action} -`,
    ],
    options: {
      note: { type: "string", value: "TEXT", help: NOTE_HELP[action] },
      ...(action === "approve" || action === "reject" ? REVIEWER_OPTION : {}),
      ...(action === "requeue" ? BUDGET_OPTIONS : {}),
    },
    async run(ctx) {
      const typed = ctx.str("note");
      const note = typed === undefined ? undefined : plainTextInput(typed, "--note", action, ACTION_NOTE_MAX_BYTES);
      const verdict = action === "approve" || action === "reject";
      const named = verdict ? ctx.str("reviewer") : undefined;
      const reviewer = named === undefined ? undefined : plainNameInput(named, "--reviewer", action);
      const round = verdict ? ctx.int("round") : undefined;
      const body = {
        ...(note !== undefined ? { note } : {}),
        ...(reviewer !== undefined ? { reviewer } : {}),
        ...(round !== undefined ? { round } : {}),
        ...(action === "requeue" ? budgetRaise(ctx) : {}),
      };
      const [id, ...more] = ctx.positionals;
      if (more.length > 0 || id === "-") {
        // A review round is one job's (`reviews ID`): the same number fences no other job's verdict.
        if (round !== undefined) throw usageError("--round names one job's review round: give one job id", action);
        return await actOnMany(ctx, action, await jobIdsOf(ctx, action), body);
      }
      // Ctrl-C while the one request is out waits for its answer (job-actions-interrupt): it decides whether the job
      // was acted on — a requeue or a reject that requeues starts a paid run.
      const sent = await sendListening(ctx, stoppingActionNote(action, id!), async () =>
        checked(JobActedRead, await ctx.client().action(id!, action, body), "a job"),
      );
      if ("failed" in sent) return actionFailed(ctx, sent.stopped, sent.failed, action, id!);
      const job = sent.answer;
      if (!ctx.json) ctx.print(inlined`✔ ${action}: job ${job.id} is now ${job.stage}`);
      if (sent.stopped) return actionAnswered(ctx, sent.stopped, action, job);
      if (ctx.json) ctx.emit(job);
      return 0;
    },
  };
}

export const jobActions: Command[] = JOB_ACTIONS.map(actionCommand);

/** `--budget-usd`'s bounds, USD: the requeue body's (shared/api ActionBody `budgetUsd`), read from its schema. */
const USD_BOUNDS = ActionBody.shape.budgetUsd.unwrap();
const [MIN_USD, MAX_USD] = [USD_BOUNDS.minValue ?? 0.000001, USD_BOUNDS.maxValue ?? 100_000];

/** `--budget-usd` / `--budget-tokens` as the requeue body's fields; a malformed amount is a usage error. */
function budgetRaise(ctx: Ctx): { budgetUsd?: number; budgetTokens?: number } {
  const text = ctx.str("budget-usd");
  const tokens = ctx.int("budget-tokens");
  const out: { budgetUsd?: number; budgetTokens?: number } = tokens !== undefined ? { budgetTokens: tokens } : {};
  if (text === undefined) return out;
  // decimal (cli/args), not Number(): Number reads "0x10" as $16 and "" as $0. The bounds are the API's own (one
  // micro-dollar up): "above 0" let 0.0000001 through to a 400 the line before had not said.
  const budgetUsd = decimal(text);
  if (budgetUsd === undefined || budgetUsd < MIN_USD || budgetUsd > MAX_USD) {
    throw usageError(
      `--budget-usd must be a number of dollars from ${MIN_USD} (a micro-dollar) to ${MAX_USD}, e.g. 12.5 (got "${text}")`,
      "requeue",
    );
  }
  return { ...out, budgetUsd };
}
