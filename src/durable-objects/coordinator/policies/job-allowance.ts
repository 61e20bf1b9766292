/**
 * @module durable-objects/coordinator/policies/job-allowance
 * REQUEUE WITHIN THE JOB'S OWN BUDGET — contract (issue 9, part 2; SPEC §6 "an operator can requeue"):
 *   inputs: the job an operator requeues; the requeue's optional `budgetUsd`/`budgetTokens` (the job's new
 *           `budget.usd`/`tokens`: what the whole job may spend, earlier runs included, as the manifest's do); the
 *           actor; what the job has spent (every run's high-water marks, jobs/runs `jobSpendMarks`).
 *   why:    the manifest's `usd` and `tokens` bound the job, not a run (policies/run-spend): a job that has spent
 *           them has no allowance left. Requeued as it was, it took a seat, started an engine and failed
 *           `budget_exceeded` on its first cent — every time, while the requeue answered 200 and resolved the alert.
 *   guard:  refused `409 budget_exceeded` (and nothing changes: the `job_budget_exceeded` alert stays open) while
 *           the job has spent at least a limit it would run under — the detail says what it spent of what, and how
 *           to raise it. A raise must be above what was spent (in micro-dollars for USD), or it is refused the same.
 *   output: the changes for the requeue to save with its move (`budget` set), audited `job.budget_raised`, or
 *           `job.budget_lowered` when a limit is now smaller or new (still above the spend), {from, to, spentUsd,
 *           spentTokens}; none when the budget stays as it was.
 * Also what each assignment of the job carries as its `allowance` (`assignmentAllowance`): the rest of the budget
 * after the earlier runs, so the agent stops a retry's engine at what is left, not at the whole budget again.
 *
 * RETRY WITHIN IT — the same rule (core/job-budget `spentBudget`: spent AT a limit leaves nothing) asked by every
 * automatic way back to the queue (`endIfSpent`: jobs/report's retry of a failure or a rate limit, dispatch/lease-ops'
 * requeue of an expired lease and its `giveBack` — release, reject, preemption, budget stop, revoke, deregister —
 * and policies/reviews' `onReject: requeue`) and by dispatch before it gives a queued job a seat (`dispatchAllowance`:
 * one that reached its budget while queued, by a late report of a lost lease). A job that spent exactly its budget (within it: only more is an overrun) and then failed
 * retryably was queued again with an allowance of 0: it took a seat, started an engine and failed `budget_exceeded`
 * on its first cent. It now ends `failed` `budget_exceeded` (`retryable: false`, "not retried: spent $X of its job
 * budget $Y: nothing left for another run"), with the event and alert of an overrun (policies/run-spend
 * `noteOverBudget`) — for an operator's requeue with a raise.
 */
import { fromMicros, toMicros } from "../../../core/budget.ts";
import { counted } from "../../../core/counted.ts";
import { DomainError } from "../../../core/errors.ts";
import { type JobAllowance, type JobOverrun, jobAllowance, spentBudget } from "../../../core/job-budget.ts";
import type { Job, JobBudget, RunResult } from "../../../core/model.ts";
import { usdTexts } from "../../../core/usd-text.ts";
import { settled } from "../dag/dependents.ts";
import { moveJob, touchJob } from "../jobs/rows.ts";
import { earlierSpendMarks, jobSpendMarks } from "../jobs/runs.ts";
import { enqueueAudit } from "../outbox/records.ts";
import type { Tx } from "../runtime/tx.ts";
import { noteOverBudget } from "./run-spend.ts";

export interface BudgetRaise {
  /** The job's new `budget.usd`, USD: must be above what it has spent. */
  budgetUsd?: number;
  /** The job's new `budget.tokens` (in + out): must be above what it has used. */
  budgetTokens?: number;
}

/**
 * The requeue's budget changes (`{}` or `{budget}`), audited when they raise it.
 * @throws DomainError `budget_exceeded` when the job, with the raise, would have no allowance left
 */
export function requeueAllowance(tx: Tx, job: Job, raise: BudgetRaise, actor: string): Partial<Job> {
  const from: JobBudget = job.budget ?? {};
  const raised = raise.budgetUsd !== undefined || raise.budgetTokens !== undefined;
  // No limit on what the job spends, nothing to check: no read.
  if (!raised && from.usd === undefined && from.tokens === undefined) return {};
  const to: JobBudget = {
    ...from,
    ...(raise.budgetUsd !== undefined ? { usd: raise.budgetUsd } : {}),
    ...(raise.budgetTokens !== undefined ? { tokens: raise.budgetTokens } : {}),
  };
  const marks = jobSpendMarks(tx.sql, job.id);
  const spent = { costUsd: fromMicros(toMicros(marks.costUsd)), tokens: marks.tokens }; // a sum of floats, shown
  const details = {
    jobId: job.id,
    spentUsd: spent.costUsd,
    spentTokens: spent.tokens,
    ...(to.usd !== undefined ? { budgetUsd: to.usd } : {}),
    ...(to.tokens !== undefined ? { budgetTokens: to.tokens } : {}),
  };
  const none = spentBudget(to, spent);
  if (none?.limit === "usd") {
    const [spentText, budgetText] = usdTexts([spent.costUsd, none.max]); // shared decimals: never "$0.03 ≥ $0.03"
    const asked = raise.budgetUsd !== undefined ? `budgetUsd ${to.usd}` : `its budget of ${budgetText}`;
    throw refusal(job.id, `spent ${spentText}`, asked, "cent", {
      field: "budgetUsd",
      flag: "--budget-usd",
      above: spent.costUsd,
      details: { ...details, limit: "usd" },
    });
  }
  if (none?.limit === "tokens") {
    const asked = raise.budgetTokens !== undefined ? `budgetTokens ${to.tokens}` : `its budget of ${none.max}`;
    throw refusal(job.id, `used ${counted(spent.tokens, "token")}`, asked, "token", {
      field: "budgetTokens",
      flag: "--budget-tokens",
      above: spent.tokens,
      details: { ...details, limit: "tokens" },
    });
  }
  if (!raised) return {};
  // The value need only be above the spend, so it may also lower a budget the job has not spent: the audit names
  // which it did (an operator reading `job.budget_raised` with a smaller `to` was misled).
  enqueueAudit(tx, actor, lowers(from, to) ? "job.budget_lowered" : "job.budget_raised", job.id, {
    from,
    to,
    spentUsd: spent.costUsd,
    spentTokens: spent.tokens,
  });
  return { budget: to };
}

/**
 * The `allowance` an assignment of `job` under `leaseEpoch` carries (WebSocket `assign` and `welcome`, HTTP claim):
 * its `budget.usd`/`tokens` less what its runs before that epoch spent (core/job-budget `jobAllowance`; USD, tokens
 * in + out). `{}` when the job sets neither limit: no read of the spend marks.
 */
export function assignmentAllowance(tx: Tx, job: Job, leaseEpoch: number): { allowance?: JobAllowance } {
  const budget: JobBudget = job.budget ?? {}; // jobs stored before manifests defaulted `budget` have none
  if (budget.usd === undefined && budget.tokens === undefined) return {};
  const allowance = jobAllowance(budget, earlierSpendMarks(tx.sql, job.id, leaseEpoch));
  return allowance ? { allowance } : {};
}

/**
 * An automatic retry's check (see RETRY WITHIN IT above): `job` ended `failed` `budget_exceeded` when its runs have
 * spent a usd/tokens limit, `changes` saved with it (an expired lease's: no lease, epoch + 1).
 * @param job `failed` by a reported failure (its `lastResult` is replaced), or leased, its lease just expired
 * @returns the job as ended — the caller re-evaluates its dependents (dag/dependents `settled`) — or undefined when
 *          some of each limit is left, or the job sets neither (then nothing is read)
 */
export function endIfSpent(tx: Tx, job: Job, changes: Partial<Job> = {}): Job | undefined {
  const spent = ownBudgetSpent(tx, job);
  return spent ? endSpent(tx, job, spent, changes) : undefined;
}

/**
 * Whether `job`'s runs have spent a usd/tokens limit of its own budget (core/job-budget `spentBudget`: AT it, nothing
 * left for another run) — `endIfSpent`'s question, for a caller that must say what a hand-back will do before it
 * happens (policies/budget-stop closes the run first). Undefined, with no read, when the job sets neither limit.
 */
export function ownBudgetSpent(tx: Tx, job: Job): JobOverrun | undefined {
  const budget: JobBudget = job.budget ?? {};
  if (budget.usd === undefined && budget.tokens === undefined) return undefined;
  return spentBudget(budget, jobSpendMarks(tx.sql, job.id));
}

/**
 * Dispatch's check before it assigns queued `job` (push or claim): the `allowance` its new run carries — the budget
 * less every run so far, which are the runs before the epoch it is about to get (`assignmentAllowance`'s figure) —
 * or undefined when it has none left: it is then ended `failed` `budget_exceeded` here, its dependents re-evaluated,
 * and must not be assigned. `{}` with no read when the job sets no usd/tokens limit.
 */
export function dispatchAllowance(tx: Tx, job: Job): { allowance?: JobAllowance } | undefined {
  const budget: JobBudget = job.budget ?? {};
  if (budget.usd === undefined && budget.tokens === undefined) return {};
  const marks = jobSpendMarks(tx.sql, job.id);
  const spent = spentBudget(budget, marks);
  if (spent) {
    settled(tx, endSpent(tx, job, spent));
    return undefined;
  }
  const allowance = jobAllowance(budget, marks);
  return allowance ? { allowance } : {};
}

function endSpent(tx: Tx, job: Job, spent: JobOverrun, changes: Partial<Job> = {}): Job {
  const lastResult: RunResult = {
    outcome: "budget_exceeded",
    message: `not retried: ${spent.message}`,
    retryable: false,
  };
  noteOverBudget(tx, job, spent, "not retried");
  const ended = { ...changes, lastResult };
  return job.stage === "failed" ? touchJob(tx, job, ended) : moveJob(tx, job, "failed", ended);
}

/** Whether the job may now spend less on some limit: a smaller value, or a limit where it had none (unbounded). */
function lowers(from: JobBudget, to: JobBudget): boolean {
  const less = (a: number | undefined, b: number | undefined) => b !== undefined && (a === undefined || b < a);
  return (
    less(
      from.usd === undefined ? undefined : toMicros(from.usd),
      to.usd === undefined ? undefined : toMicros(to.usd),
    ) || less(from.tokens, to.tokens)
  );
}

/** The refusal: what was spent, against what, and how to raise it (the body field and the CLI flag). */
function refusal(
  jobId: string,
  spent: string,
  asked: string,
  unit: string,
  how: { field: string; flag: string; above: number; details: Record<string, unknown> },
): DomainError {
  return new DomainError(
    "budget_exceeded",
    `job ${jobId} has ${spent}, not below ${asked}: requeued, it would fail budget_exceeded on its first ${unit}. ` +
      `Raise its budget with the requeue: {"${how.field}": N} with N above ${how.above} ` +
      `(CLI: gigafactory requeue ${jobId} ${how.flag} N)`,
    how.details,
  );
}
