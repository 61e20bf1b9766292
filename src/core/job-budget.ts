/**
 * @module core/job-budget
 * A job's own budget (the manifest's `budget: {usd, tokens, wallSeconds}`, core/model `JobBudget`) checked by the
 * coordinator against a run's reports (issue 9, part 2): the agent stops an overspending engine itself, but the
 * coordinator must not depend on it. Pure: `now` and the run's start are parameters (ms epoch). Also what a new run
 * of the job may still spend (`jobAllowance`), which its assignment carries so the agent stops the engine there.
 *
 * OVER vs SPENT — one measure (`jobSpent`, whole micro-dollars), two questions, each with one comparison: a run is
 * OVER the budget when the job spent MORE than a limit (`jobOverrun`, as the agent's `budgetBreach`): the run ends
 * `budget_exceeded`; a job has SPENT its budget when its runs REACHED a limit (`spentBudget`, = an allowance of 0):
 * no further run — every way back to the queue asks it (policies/job-allowance), and a caller that says what a
 * hand-back will do asks it first (policies/budget-stop). At exactly the limit both answers hold: the run goes on,
 * and the job is not run again.
 */
import { fromMicros, toMicros } from "./budget.ts";
import { counted } from "./counted.ts";
import type { Insights, JobBudget } from "./model.ts";
import type { RunSpend } from "./run-accrual.ts";
import { usdTexts } from "./usd-text.ts";

export interface JobOverrun {
  /** Which limit was passed. */
  limit: "usd" | "tokens" | "wallSeconds";
  /** What the run reached (USD, tokens, or seconds since the run started). */
  used: number;
  /** The manifest's limit in the same unit. */
  max: number;
  /** One sentence for the event log, the run result and the alert. */
  message: string;
}

/** Tokens a report counts: input plus output. */
export function reportTokens(insights?: Insights): number {
  return (insights?.tokensIn ?? 0) + (insights?.tokensOut ?? 0);
}

/**
 * The coordinator's slack on `wallSeconds`, s: its clock starts at the claim, while the agent times the engine alone
 * (agent/engine-runner) and stops it at the limit itself; the run also clones or resumes its workspace before and
 * uploads artifacts after. 60 s + 10 % keeps the backstop from failing — after the money is spent — a run the agent
 * kept within budget, and still catches an agent that never stops its engine.
 */
export function wallGraceSeconds(wallSeconds: number): number {
  return 60 + 0.1 * wallSeconds;
}

/** 1 s: the least a fresh engine on a resumed run is given, so it starts, and is stopped (`budget_wall`) cleanly. */
export const RESUMED_WALL_FLOOR_SECONDS = 1;

/**
 * How long (s) a fresh engine on a resumed lease may run: `wallSeconds` bounds the run, which started at
 * `runStartedAt` (the run's start on the coordinator, `welcome.leases[].runStartedAt`), not at this engine — an
 * agent restarted within its lease otherwise gave its new engine the whole budget again. Never less than
 * RESUMED_WALL_FLOOR_SECONDS (nothing left = stopped that soon after it starts, by the ordinary wall timer), never
 * more than `wallSeconds`. `runStartedAt` is the coordinator's clock and `now` the host's: a skew of a few seconds
 * moves the limit by as much (a start "in the future" counts as now); the coordinator's own check (`jobOverrun`,
 * with its grace) stays the authority.
 * @param wallSeconds the job's `budget.wallSeconds` (s); undefined = no limit
 * @param runStartedAt when the run started (ms epoch); undefined = not a resumed lease, or an older coordinator
 * @param now the host's time (ms epoch)
 * @returns seconds for the engine's timer; undefined when `wallSeconds` is; `wallSeconds` when `runStartedAt` is
 */
export function runWallLeft(
  wallSeconds: number | undefined,
  runStartedAt: number | undefined,
  now: number,
): number | undefined {
  if (wallSeconds === undefined || runStartedAt === undefined) return wallSeconds;
  const left = wallSeconds - Math.max(0, now - runStartedAt) / 1000;
  return Math.min(wallSeconds, Math.max(RESUMED_WALL_FLOOR_SECONDS, left));
}

/**
 * A run's high-water mark as it is stored (`run_spend`): its cost in whole micro-dollars, tokens as they are. The
 * product budget charges a run the increase of its mark in micro-dollars (core/run-accrual `accrue`: its charges add
 * up to its mark's micro-dollars), so a job whose runs' marks were stored raw and summed (`SUM(cost_usd)`) before
 * their one rounding read up to ½ µ$ per run apart from what the product budget charged for the very same runs: two
 * runs of $0.1000006 charged $0.200002 while the job had spent $0.200001 of a $0.200002 budget, not all of it.
 * Stored rounded, their sum (in floats, as SQLite's SUM, then rounded once) is `jobSpent`'s: the one rule.
 */
export function runMark(seen: RunSpend): RunSpend {
  return { costUsd: fromMicros(toMicros(seen.costUsd)), tokens: seen.tokens };
}

/**
 * What a job has spent, from its runs' marks (`runMark`): each run's cost in whole micro-dollars, summed — what the
 * product budget charged for those runs — and their tokens (in + out) summed. The rule the job's own budget is
 * judged by (`jobOverrun`, `spentBudget`, `jobAllowance`), stated once here and proven against the product budget's
 * charge by test/unit/job-budget-rounding.
 */
export function jobSpent(runs: readonly RunSpend[]): RunSpend {
  let micros = 0;
  let tokens = 0;
  for (const r of runs) {
    micros += toMicros(r.costUsd);
    tokens += r.tokens;
  }
  return { costUsd: fromMicros(micros), tokens };
}

/**
 * The first limit of `budget` a run has gone past, or undefined when within all of them (a limit that is not set
 * never trips). "Past" is strictly more than the limit: a run that spends exactly its budget is within it.
 * @param insights the job's cumulative insights so far: every run's highest report, summed (policies/run-spend)
 * @param startedAt when the run started (ms); wall time is `now − startedAt`, past `wallSeconds` + its grace
 */
export function jobOverrun(
  budget: JobBudget,
  insights: Insights | undefined,
  startedAt: number,
  now: number,
): JobOverrun | undefined {
  // In whole micro-dollars: ten reports of $0.10 sum to 0.9999999999999999 in floating point, one of 1.1 to 1.1000…1.
  // `used` too (the event's figure): the runs' marks summed, $0.10 + $0.20, read 0.30000000000000004 where $0.30
  // was charged.
  const cost = fromMicros(toMicros(insights?.costUsd ?? 0));
  if (budget.usd !== undefined && toMicros(cost) > toMicros(budget.usd)) {
    return {
      limit: "usd",
      used: cost,
      max: budget.usd,
      message: `cost ${usdTexts([cost, budget.usd]).join(" exceeds the job budget ")}`,
    };
  }
  const tokens = reportTokens(insights);
  if (budget.tokens !== undefined && tokens > budget.tokens) {
    return {
      limit: "tokens",
      used: tokens,
      max: budget.tokens,
      message: `${tokens} tokens exceed the job budget of ${budget.tokens}`,
    };
  }
  const wall = Math.max(0, (now - startedAt) / 1000);
  // In whole ms: (w + 0.1·w)·1000 in floating point can land a hair off the instant, either side.
  const limitMs =
    budget.wallSeconds === undefined
      ? 0
      : Math.round((budget.wallSeconds + wallGraceSeconds(budget.wallSeconds)) * 1000);
  if (budget.wallSeconds !== undefined && now - startedAt > limitMs) {
    // Tenths of a second, the grace's own precision (60 + 0.1·w for whole w), and the run time rounded UP to them:
    // a whole-second grace and a nearest-tenth run time read "ran 67.7 s, over … 7 s (+ 61 s …)" — under the sum.
    const grace = Number(wallGraceSeconds(budget.wallSeconds).toFixed(1));
    const ran = (Math.ceil((now - startedAt) / 100) / 10).toFixed(1);
    return {
      limit: "wallSeconds",
      used: Math.round(wall),
      max: budget.wallSeconds,
      message: `ran ${ran} s, over the job budget of ${budget.wallSeconds} s wall time (+ ${grace} s for set-up and upload)`,
    };
  }
  return undefined;
}

/**
 * The first of `budget`'s job-wide limits (`usd`, then `tokens`) that `spent` has reached: AT or above it, where
 * `jobOverrun` asks for strictly more. A run may spend exactly the budget and be within it; but a job that has spent
 * it has nothing left for another run (its allowance is 0: the engine would fail `budget_exceeded` on its first cent).
 * USD compared in whole micro-dollars, as `jobAllowance` subtracts it. The one rule for an operator's requeue and for
 * the automatic retries and assignments (coordinator/policies/job-allowance).
 * @param spent what the job's runs have spent in all (every run's high-water marks summed): USD, tokens in + out
 * @returns the limit, what was spent of it (USD rounded to the micro-dollar), and a sentence; undefined while some
 *          of every limit is left, or when the budget sets neither
 */
export function spentBudget(budget: JobBudget, spent: RunSpend): JobOverrun | undefined {
  if (budget.usd !== undefined && toMicros(spent.costUsd) >= toMicros(budget.usd)) {
    const used = fromMicros(toMicros(spent.costUsd)); // a sum of floats, shown
    const [usedText, budgetText] = usdTexts([used, budget.usd]); // shared decimals: never "$0.03 of $0.03" when under
    const message = `spent ${usedText} of its job budget ${budgetText}: nothing left for another run`;
    return { limit: "usd", used, max: budget.usd, message };
  }
  if (budget.tokens !== undefined && spent.tokens >= budget.tokens) {
    const message = `used ${counted(spent.tokens, "token")} of its job budget of ${budget.tokens}: nothing left for another run`;
    return { limit: "tokens", used: spent.tokens, max: budget.tokens, message };
  }
  return undefined;
}

/**
 * What a run of a job may still spend of its `budget.usd`/`tokens`, which bound the whole job (every run summed):
 * sent with each assignment (shared/protocol `Assignment.allowance`, the claim's `allowance`) so the agent stops
 * its engine there rather than at the whole budget. `wallSeconds` is per run and not in it.
 */
export interface JobAllowance {
  /** USD this run may spend: `budget.usd` less what the job's earlier runs spent, never below 0. Absent = no limit. */
  usd?: number;
  /** Tokens (in + out) this run may use: `budget.tokens` less the earlier runs', never below 0. Absent = no limit. */
  tokens?: number;
}

/**
 * What the coordinator has charged one run (job × lease epoch) so far: its high-water marks (core/budget `accrue`,
 * `run_spend`), sent with each lease a `welcome` lists. A factory that starts a fresh engine on such a lease (its
 * process died and came back) reports this plus the new engine's own cumulative usage, whose count starts at 0.
 */
export interface RunSpent {
  /** USD the run has reported, its highest cumulative `costUsd`. */
  usd: number;
  /** Tokens (in + out) the run has reported, its highest cumulative sum. */
  tokens: number;
  /**
   * Of `tokens`, the written part (core/written-mark `writtenMark`), ≤ `tokens`: the agent folds the base by side with it, so the
   * estimate prices the run's earlier tokens exactly (core/prices). Absent when unknown, and from older coordinators.
   */
  tokensOut?: number;
}

/**
 * What is left of `budget`'s `usd` and `tokens` once `spent` (the job's earlier runs' high-water marks summed,
 * jobs/runs) is taken off: each limit in [0, the budget's], 0 once spent reaches it, the budget itself while nothing
 * was spent. USD is subtracted in whole micro-dollars (core/budget), as the coordinator compares it (so a budget
 * under half a micro-dollar, 0 in that unit, has 0 left).
 * @returns undefined when the budget sets neither limit (there is nothing to bound, and nothing is sent)
 */
export function jobAllowance(budget: JobBudget, spent: RunSpend): JobAllowance | undefined {
  if (budget.usd === undefined && budget.tokens === undefined) return undefined;
  const allowance: JobAllowance = {};
  if (budget.usd !== undefined) {
    const spentMicros = Math.max(0, toMicros(spent.costUsd));
    const budgetMicros = toMicros(budget.usd);
    if (spentMicros >= budgetMicros) allowance.usd = 0;
    // Nothing spent: the budget exactly (its micro-dollar rounding could land a hair above a finer-grained budget).
    else if (spentMicros === 0) allowance.usd = budget.usd;
    else allowance.usd = Math.min(budget.usd, fromMicros(budgetMicros - spentMicros));
  }
  if (budget.tokens !== undefined) allowance.tokens = Math.max(0, budget.tokens - Math.max(0, spent.tokens));
  return allowance;
}
