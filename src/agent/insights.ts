/**
 * @module agent/insights
 * What the agent learns about a run from its output and its diff: the engine's
 * self-reported usage, the diff stat, and whether a per-job budget was blown — the run held to its assignment's
 * `allowance` (what is left of the job's budget after its earlier runs), or to the manifest's budget when the
 * coordinator sent none (an older one). A fresh engine on a lease the run had spent under before (the agent process
 * died and resumed it) reports, and is held to, that spend plus its own (agent/run-usage `runUsage`).
 *
 * Engine contract (also spelled out in examples/engines/sample-engine.mjs): an engine may print,
 * on a line of its own, `{"gf_insights": {"tokensIn": N, "tokensOut": N, "costUsd": X}}`.
 * Every such line replaces the previous one (so an engine can report running
 * totals); the last one is sent with the report. Other fields are ignored.
 *
 * Claude Code's `stream-json`/`json` result and Codex's `exec --json` events are read too (agent/engine-formats).
 *
 * Rate limits: an engine whose provider throttles it prints `{"gf_rate_limited": {"retryAfterSeconds": N}}` on a
 * line of its own and exits; the run then ends `rate_limited` with that N (s, an integer clamped to 0…86 400), the
 * coordinator requeues the job without counting the attempt and opens this factory's breaker for the engine N s.
 */
import { toMicros } from "../core/budget.ts";
import { counted } from "../core/counted.ts";
import type { RunSpent } from "../core/job-budget.ts";
import type { Insights, JobBudget } from "../core/model.ts";
import { usdTexts } from "../core/usd-text.ts";
import type { Assignment } from "../shared/protocol.ts";
import { ClaudeCallTally, CutResultReader, MAX_TOKENS, MAX_USD, parseEngineLine } from "./engine-formats.ts";
import { MAX_RETRY_AFTER_S } from "./retry-after.ts";
import { runUsage } from "./run-usage.ts";

export type Usage = Pick<Insights, "tokensIn" | "tokensOut" | "costUsd" | "unpricedTokens" | "baseTokens">;

const nonNegInt = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.min(Math.round(v), MAX_TOKENS) : undefined;
const nonNeg = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.min(v, MAX_USD) : undefined;

/** A `{"gf_insights": {...}}` line → usage; anything else → undefined. Never throws. */
export function parseInsightsLine(line: string): Usage | undefined {
  const t = line.trim();
  // Cheap pre-check: most output lines are not JSON at all.
  if (!t.startsWith("{") || !t.includes('"gf_insights"')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(t);
  } catch {
    return undefined;
  }
  const raw = (data as { gf_insights?: unknown } | null)?.gf_insights;
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const usage: Usage = {};
  const tokensIn = nonNegInt(r.tokensIn);
  const tokensOut = nonNegInt(r.tokensOut);
  const costUsd = nonNeg(r.costUsd);
  if (tokensIn !== undefined) usage.tokensIn = tokensIn;
  if (tokensOut !== undefined) usage.tokensOut = tokensOut;
  if (costUsd !== undefined) usage.costUsd = costUsd;
  return usage;
}

/** A `{"gf_rate_limited": {"retryAfterSeconds": N}}` line → N (s, clamped integer); anything else → undefined. */
export function parseRateLimitLine(line: string): number | undefined {
  const t = line.trim();
  if (!t.startsWith("{") || !t.includes('"gf_rate_limited"')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(t);
  } catch {
    return undefined;
  }
  const raw = (data as { gf_rate_limited?: unknown } | null)?.gf_rate_limited;
  if (typeof raw !== "object" || raw === null) return undefined;
  const n = nonNeg((raw as Record<string, unknown>).retryAfterSeconds);
  return n === undefined ? undefined : Math.min(Math.round(n), MAX_RETRY_AFTER_S);
}

/** `git diff --shortstat` output (" 3 files changed, 10 insertions(+), 2 deletions(-)") → numbers; empty → zeros. */
export function parseShortstat(text: string): NonNullable<Insights["diffStat"]> {
  const num = (re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
  return {
    files: num(/(\d+) files? changed/),
    insertions: num(/(\d+) insertions?\(\+\)/),
    deletions: num(/(\d+) deletions?\(-\)/),
  };
}

/**
 * The USD and token limits one run is held to: `usd`/`tokens` as the run may spend them; `of`, the job's budget
 * when they are what is left of it (the assignment's `allowance`), for the breach to say so.
 */
export interface RunLimits {
  usd?: number;
  tokens?: number;
  of?: JobBudget;
}

/**
 * The limits a run of assignment `a` is held to: its `allowance` (the job's `budget.usd`/`tokens` bound the whole
 * job, so a retry may spend only what its earlier runs left), each limit the allowance does not name taken from the
 * manifest's budget; the manifest's budget alone when the coordinator sent no allowance (an older one).
 */
export function runLimits(a: Pick<Assignment, "job" | "allowance">): RunLimits {
  const budget: JobBudget = a.job.budget ?? {};
  if (!a.allowance) return { usd: budget.usd, tokens: budget.tokens };
  return { usd: a.allowance.usd ?? budget.usd, tokens: a.allowance.tokens ?? budget.tokens, of: budget };
}

/**
 * Which limit the run's usage so far exceeds, as a sentence, or undefined.
 * Wall time is enforced by the engine runner's timer; this covers tokens and USD,
 * which only the engine can tell us about. "Exceeds" is strictly more than the limit, as the coordinator counts.
 */
export function budgetBreach(limits: RunLimits, usage: Usage): string | undefined {
  const tokens = (usage.tokensIn ?? 0) + (usage.tokensOut ?? 0);
  const of = limits.of;
  if (limits.tokens !== undefined && tokens > limits.tokens) {
    const budget = of?.tokens ?? limits.tokens;
    return of
      ? `used ${counted(tokens, "token")}, more than the ${limits.tokens} left of the job's budget of ${budget}`
      : `used ${counted(tokens, "token")}, budget is ${limits.tokens}`;
  }
  // In whole micro-dollars, as the coordinator counts (core/job-budget): an engine's float sum such as 0.1 + 0.2 is
  // not over a $0.30 budget, and a breach here is final (budget_exceeded is not retried).
  if (limits.usd !== undefined && usage.costUsd !== undefined && toMicros(usage.costUsd) > toMicros(limits.usd)) {
    // Amounts read side by side share their decimals (core/usd-text `usdTexts`): with four fixed decimals and the
    // limit raw, $0.00004 over a $0.00003 allowance read "spent $0.0000", $2.00004 over $2 "spent $2.0000, budget is
    // $2" (over, yet equal), and a budget summed in floats "budget is $0.30000000000000004".
    const [spent, usd, budget] = usdTexts([usage.costUsd, limits.usd, of?.usd ?? limits.usd]);
    return of
      ? `spent ${spent}, more than the ${usd} left of the job's budget of ${budget}`
      : `spent ${spent}, budget is ${usd}`;
  }
  return undefined;
}

/** The insights block of a report: usage plus diff stat, with absent fields left out. */
export function reportInsights(usage: Usage, diffStat?: Insights["diffStat"]): Insights {
  return { ...usage, ...(diffStat ? { diffStat } : {}) };
}

/**
 * Follows an engine's output: keeps the run's latest usage (the engine's own, plus `base` when the run spent before
 * this engine started: `runUsage`) and says once when a budget is first exceeded.
 */
export class UsageMeter {
  /** The run's cumulative usage as reported: empty until the engine prints its first `gf_insights` line. */
  usage: Usage = {};
  breach: string | undefined;
  /** The engine said it is rate limited: retry after this many s (the last such line wins). */
  rateLimitedFor: number | undefined;
  /** Why the engine said it failed, in its own format (agent/engine-formats); the last one wins. */
  engineError: string | undefined;
  private readonly limits: RunLimits;
  private readonly base: RunSpent | undefined;
  /** The host's clock (ms since the epoch): what an engine's "try again at 3:28 PM" is read against. */
  private readonly clock: () => number;
  private readonly calls = new ClaudeCallTally();
  /** A Claude result line the line splitter cut (longer than it holds): its totals, from the piece that ends it. */
  private readonly cut = new CutResultReader();
  /** A total (gf_insights, Claude's result, Codex's turn.completed) has been seen. */
  private reported = false;

  /**
   * `limits`: what this run may spend (`runLimits` of its assignment); `base`: what the run spent before this
   * engine (a resumed lease's `runSpent`), undefined when this engine is the run's first; `clock`: the time now, in
   * ms since the epoch (a parameter so a test fixes it; the parsers never read the clock themselves).
   */
  constructor(limits: RunLimits, base?: RunSpent, clock: () => number = Date.now) {
    this.limits = limits;
    this.base = base;
    this.clock = clock;
  }

  /** Feed one output line; returns the breach the first time usage goes over budget. */
  line(text: string): string | undefined {
    // Our own contract first; then Claude Code's and Codex's own formats (agent/engine-formats), whose totals are
    // cumulative the same way, so they too replace what came before.
    const native = parseEngineLine(text, this.clock());
    if (native?.error) this.engineError = native.error;
    const retryAfter = parseRateLimitLine(text) ?? native?.rateLimitedFor;
    if (retryAfter !== undefined) this.rateLimitedFor = retryAfter;
    const reported = parseInsightsLine(text) ?? native?.usage ?? this.cut.line(text);
    if (reported) this.reported = true;
    // Claude's per-call tally only until a total is reported: a total replaces it and is never replaced by it.
    const usage = reported ?? (this.reported ? undefined : this.calls.line(text));
    if (!usage) return undefined;
    this.usage = runUsage(this.base, usage);
    const breach = budgetBreach(this.limits, this.usage);
    if (!breach || this.breach) return undefined;
    this.breach = breach;
    return breach;
  }
}

/**
 * The meter of a run of `a`: held to what is left of the job's budget (`runLimits`: its allowance, not the whole
 * budget again on every retry). `resumed`: the seat was started for a lease a `welcome` listed, so it runs a fresh
 * engine on it (an engine still running across a reconnect keeps its seat and its meter, which already counts all of
 * its spend) — what the run reported before (`a.runSpent`) counts as well. An `assign`'s lease is new: no base.
 */
export function runMeter(
  a: Pick<Assignment, "job" | "allowance" | "runSpent">,
  resumed: boolean,
  clock: () => number = Date.now,
): UsageMeter {
  return new UsageMeter(runLimits(a), resumed ? a.runSpent : undefined, clock);
}

/** The most spend the coordinator has charged a run from this agent's frames: USD in micro-dollars, tokens in + out. */
export interface SpendMark {
  micros: number;
  tokens: number;
}

/** `mark` raised to what `usage` (a frame's cumulative insights, if any) holds, as the coordinator counts it. */
export function spendMark(mark: SpendMark, usage: Usage | undefined): SpendMark {
  const tokens = (usage?.tokensIn ?? 0) + (usage?.tokensOut ?? 0);
  return { micros: Math.max(mark.micros, toMicros(usage?.costUsd ?? 0)), tokens: Math.max(mark.tokens, tokens) };
}

/** Whether `usage` holds spend over `mark`: what a report of it would add to the charge (core/run-accrual `accrue`). */
export function unchargedSpend(mark: SpendMark, usage: Usage): boolean {
  const raised = spendMark(mark, usage);
  return raised.micros > mark.micros || raised.tokens > mark.tokens;
}
