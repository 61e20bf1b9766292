/**
 * @module cli/commands/job-spend
 * The money of `gigafactory job ID` (cli/commands/job): the job's budget, what its runs spent together against it,
 * which part of that is an estimate at settings prices, and each run's charge in the runs table. A run's charge is
 * what the budgets were charged for it: its reported `spend.usd` plus `spend.estimatedUsd`, the part estimated for
 * its unpriced tokens (core/price-estimate) — the job's own budget counts both (jobs/runs `jobSpendMarks`), so a view
 * summing `usd` alone read a Codex run charged $1.50 against a $1 budget as "$0.00 of $1.00 (0 %)".
 */
import { fromMicros, toMicros } from "../../core/budget.ts";
import { estimatedWords } from "../../core/price-estimate.ts";
import { groupedCount } from "../../core/unpriced.ts";
import { usdTexts } from "../../core/usd-text.ts";
import type { Job, Run } from "../../shared/http-client.ts";
import { flooredPercent } from "../number-text.ts";
import { chargeNotes } from "../run-charge-text.ts";
import { NONE } from "../table.ts";

/** The job view's amounts as text (its budget, what its runs spent together, each run's charge), as `jobUsd` gives them. */
interface JobUsd {
  budget?: string;
  spent?: string;
  /** Of `spent`, the estimated part; undefined when no run was estimated. */
  estimated?: string;
  runs: readonly (string | undefined)[];
  /** Each run's estimated part; undefined for a run never estimated. */
  runsEstimated: readonly (string | undefined)[];
}

type Spend = NonNullable<Run["spend"]>;
/** A run's charge in micro-dollars: its reported USD and its estimated part (core/budget `toMicros`). */
const chargeMicros = (s: Spend | undefined) => toMicros(s?.usd ?? 0) + toMicros(s?.estimatedUsd ?? 0);

/**
 * Every amount of the job view in one set of decimals (core/usd-text `usdTexts`), as every amount read side by side:
 * alone each, a $0.001 budget read "$0.0010" beside "spent $0.125 of $0.001", and its run's "$0.13". Sums are taken
 * in micro-dollars, as the coordinator keeps them (in floats ten $0.10 runs made $0.9999999999999999).
 * @returns the texts, and `micros`: what the runs were charged together (estimates included), µ$
 */
export function jobUsd(job: Pick<Job, "budget">, runs: readonly Pick<Run, "spend">[]): JobUsd & { micros: number } {
  const micros = runs.reduce((n, r) => n + chargeMicros(r.spend), 0);
  const estimatedMicros = runs.reduce((n, r) => n + toMicros(r.spend?.estimatedUsd ?? 0), 0);
  const spent = runs.some((r) => r.spend) ? fromMicros(micros) : undefined;
  const cap = job.budget.usd;
  const charges = runs.map((r) => fromMicros(chargeMicros(r.spend)));
  const parts = runs.map((r) => r.spend?.estimatedUsd ?? 0);
  const texts = usdTexts([cap ?? 0, spent ?? 0, fromMicros(estimatedMicros), ...charges, ...parts]);
  const n = runs.length;
  return {
    budget: cap === undefined ? undefined : texts[0],
    spent: spent === undefined ? undefined : texts[1],
    estimated: estimatedMicros > 0 ? texts[2] : undefined,
    runs: runs.map((r, i) => (r.spend ? texts[i + 3] : undefined)),
    runsEstimated: runs.map((r, i) => (toMicros(r.spend?.estimatedUsd ?? 0) > 0 ? texts[i + 3 + n] : undefined)),
    micros,
  };
}

/**
 * 1204311 → "1,204,311 tokens": grouped as the unpriced count beside it is (core/unpriced `groupedCount`) — the same
 * cell read "500000 tokens (500,000 unpriced …)" (pass 51).
 */
const tokensText = (n: number): string => `${groupedCount(n)} ${n === 1 ? "token" : "tokens"}`;

/** The budget field: its USD (as `jobUsd` gives it), wall seconds and tokens; "—" with none. */
export function budgetText(job: Job, usd: string | undefined): string {
  const b = job.budget;
  const parts = [
    usd,
    b.wallSeconds === undefined ? undefined : `${b.wallSeconds}s wall`,
    b.tokens === undefined ? undefined : tokensText(b.tokens),
  ].filter(Boolean);
  return parts.length ? parts.join(", ") : NONE;
}

/**
 * A run's SPENT cell: "$1.50 · 500,000 tokens (500,000 unpriced, $1.50 estimated)" — its charge, its tokens, those no
 * USD came for (core/unpriced) and the estimated part of the charge, in the words `history` says them too
 * (cli/run-charge-text). @param usd its charge as `jobUsd` gives it
 */
export function spendText(spend: Run["spend"], usd: string | undefined, estimated?: string): string {
  if (!spend || usd === undefined) return NONE;
  return `${usd} · ${tokensText(spend.tokens)}${chargeNotes(spend.unpricedTokens, estimated)}`;
}

/**
 * What the job has spent, every run's charge summed (the running run's too, estimates included), and of which budget:
 * "$1.00 of $1.00 (100 %) · 1200 tokens". The percent is rounded down, as `budget` rounds it, and a spend above 0
 * never reads "0 %" (cli/number-text `flooredPercent`); amounts as `jobUsd` gives them.
 */
export function spentText(job: Pick<Job, "budget">, runs: readonly Pick<Run, "spend">[]): string {
  const usd = jobUsd(job, runs);
  if (usd.spent === undefined) return NONE;
  const tokens = runs.reduce((n, r) => n + (r.spend?.tokens ?? 0), 0);
  const cap = job.budget.usd;
  if (!cap) return `${usd.spent} · ${tokensText(tokens)}`;
  const pct = flooredPercent(usd.micros, toMicros(cap));
  return `${usd.spent} of ${usd.budget} (${pct} %) · ${tokensText(tokens)}`;
}

/** The "estimated" field under "spent", worded as `budget`'s (core/price-estimate `estimatedWords`); none: no field. */
export function estimatedField(usd: Pick<JobUsd, "estimated">): Array<[string, string]> {
  return usd.estimated ? [["estimated", estimatedWords(usd.estimated)]] : [];
}
