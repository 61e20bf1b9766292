/**
 * @module core/sequential-test
 * The guardrail's statistics (issue 11 part 4): a two-sample comparison repeated at every look of a running
 * experiment, with the false-positive rate controlled across all looks — however many there are.
 *
 * Method: alpha spending by a Bonferroni union bound over looks. Look k (1, 2, …) is tested one-sided at level
 * `α_k = α · 6 / (π² k²)`; since Σ 6/(π² k²) = 1, the chance that *any* look ever rejects a true null is ≤ α (Boole's
 * inequality; see Jennison & Turnbull, "Group Sequential Methods", 2000, §1.3 on Bonferroni bounds for repeated
 * tests). The union bound is only as good as each look's own level at small n:
 * - success rates: the Agresti–Caffo statistic (one success and one failure added to each arm), referred to Student's
 *   t with Hsu's df min(n₁, n₂) − 1. Measured on identical arms of 5–20 runs at p = 0.5, the normal tail rejected at
 *   up to 2.8× the level (at 1.5 %, 0.3 %, 0.03 %: the levels of looks 1, ~2 and ~7); the t tail stays under it,
 *   and from ~100 runs an arm the two agree;
 * - costs: Welch's t with Hsu's conservative df and Student's t tail (core/student-t), the smaller arm's variance
 *   never below the bigger arm's (skewed costs: see `welch`). The z threshold it replaces,
 *   on a handful of costs, concluded identical arms at 2.5 % for a stated 1 % (uniform costs, minSamples 5,
 *   confidence 0.99; test/unit/sequential-test-bounds).
 * The bound is conservative — the looks are positively correlated — which trades speed for a stated rate.
 *
 * Pure; no clock. Units: rates in [0, 1]; costs in USD.
 */

import { studentTUpperTail } from "./student-t.ts";

/** Running sums of one arm's outcomes: n, Σx and Σx² (x = 1/0 for success, the run's USD for cost). */
export interface ArmSums {
  n: number;
  sum: number;
  sumSq: number;
}

export const emptySums = (): ArmSums => ({ n: 0, sum: 0, sumSq: 0 });

/** `s` with the sample `x` added; a non-finite `x` (NaN, ±Infinity) is not a measurement and leaves `s` as it is. */
export const addSample = (s: ArmSums, x: number): ArmSums =>
  Number.isFinite(x) ? { n: s.n + 1, sum: s.sum + x, sumSq: s.sumSq + x * x } : s;

/** The level of look `k` (1-based) when `alpha` is spent over all looks: α·6/(π²k²). */
export function lookAlpha(alpha: number, k: number): number {
  return (alpha * 6) / (Math.PI * Math.PI * Math.max(1, k) * Math.max(1, k));
}

/** Agresti–Caffo: each arm's rate with one success and one failure added, and the variance of that rate. */
function adjustedRate(s: ArmSums): { rate: number; varOfRate: number } {
  const n = s.n + 2;
  const rate = (s.sum + 1) / n;
  return { rate, varOfRate: (rate * (1 - rate)) / n };
}

/**
 * Relative rounding noise of running sums: Σx² − n·mean² of twenty equal $0.01 costs is 1e-19, not 0, and
 * 20 × 0.01 summed is 0.20000000000000004. A variance below 1e-12 of mean², or a gap below 1e-9 of the means, is that
 * noise — counting it as signal made two constant, equal arms differ by 1e-18 USD at t = ∞.
 */
const NOISE_VAR = 1e-12;
const NOISE_GAP = 1e-9;

/** An arm's mean and sample variance (n − 1 denominator; 0 below 2 samples or within rounding noise of 0). */
function meanAndVariance(s: ArmSums): { mean: number; variance: number } {
  const mean = s.sum / Math.max(1, s.n);
  const variance = s.n > 1 ? (s.sumSq - s.n * mean * mean) / (s.n - 1) : 0;
  return { mean, variance: variance > NOISE_VAR * mean * mean ? variance : 0 };
}

/**
 * The variance an arm of `n` runs counts with, given the other arm's `otherVariance` over `otherN` runs: at least
 * the other's when it has fewer runs (skew, see `welch`); the other's when its own is 0 (equal costs); else its own.
 */
function smallArmVariance(variance: number, n: number, otherVariance: number, otherN: number): number {
  if (n < otherN) return Math.max(variance, otherVariance);
  return variance > 0 ? variance : otherVariance;
}

/**
 * Welch's t for `worse.mean − better.mean − margin`, with Hsu's conservative degrees of freedom min(n₁, n₂) − 1
 * (Hsu, "Contribution to the theory of Student's t-test as applied to the problem of two samples", Statistical
 * Research Memoirs 2, 1938): the Welch–Satterthwaite df rejected identical uniform cost arms of 5 and 10 runs at
 * 2.0 % for a 1.5 % level and at 3.4× the level at 0.03 %; with min − 1 it stays under the level. An arm whose costs
 * were all equal (sample variance 0) borrows the other arm's variance: run costs are coarse (whole cents), so five
 * equal ones are common and do not show that the arm's cost never varies. When both are 0 the arms are treated as
 * constant: the statistic is ±∞ by the sign of the gap past the margin (0 when exactly on it).
 *
 * The arm with fewer runs never counts a variance below the other arm's (`smallArmVariance`). Run costs are
 * right-skewed (most runs cheap, a few long ones dear), and in a small sample of a skewed cost the mean and the
 * variance are low together: the few runs of the small arm of an uneven split looked cheap *and* steady, so the big
 * arm "cost more" far too often. Identical lognormal arms (σ 1.5) at split 0.05 concluded 9.9 % of A/A experiments
 * for a stated 5 %, and 29 % for 20 % (test/unit/cost-skew-bounds). Raising a variance only widens the statistic's
 * denominator, so the test can only get more conservative; with the big arm's variance, well estimated, the small
 * arm's mean no longer divides by its own low spread. Equal arms' counts (n₁ = n₂) are left as Welch has them.
 */
function welch(worse: ArmSums, better: ArmSums, margin: number): { t: number; df: number } {
  const w = meanAndVariance(worse);
  const b = meanAndVariance(better);
  const vw = smallArmVariance(w.variance, worse.n, b.variance, better.n);
  const vb = smallArmVariance(b.variance, better.n, w.variance, worse.n);
  const raw = w.mean - b.mean - margin;
  const gap = Math.abs(raw) <= NOISE_GAP * (Math.abs(w.mean) + Math.abs(b.mean) + margin) ? 0 : raw;
  const qw = vw / worse.n;
  const qb = vb / better.n;
  if (qw + qb === 0) return { t: gap > 0 ? Number.POSITIVE_INFINITY : gap < 0 ? Number.NEGATIVE_INFINITY : 0, df: 1 };
  const df = Math.min(worse.n, better.n) - 1;
  return { t: gap / Math.sqrt(qw + qb), df };
}

/**
 * Is `worse` worse than `better` by more than `margin` at level `level` (one-sided)? For a rate, worse = lower
 * (`better − worse > margin`, rates in [0, 1]): the Agresti–Caffo statistic (Agresti & Caffo, "Simple and effective
 * confidence intervals for proportions and differences of proportions result from adding two successes and two
 * failures", The American Statistician 54(4), 2000) with a Student's t tail at min(n₁, n₂) − 1 df. For a cost
 * (USD), worse = higher (`worse − better > margin`): Welch's t with the same df, its tail from core/student-t.
 * Both arms need n ≥ 2 (else no rejection). Answers the statistic (`z`: the Agresti–Caffo z or Welch's t) and `p`,
 * its one-sided p-value, for the decision record.
 */
export function worseBy(
  worse: ArmSums,
  better: ArmSums,
  metric: "success_rate" | "cost",
  margin: number,
  level: number,
): { reject: boolean; z: number; p: number } {
  if (worse.n < 2 || better.n < 2) return { reject: false, z: 0, p: 1 };
  if (metric === "success_rate") {
    const w = adjustedRate(worse);
    const b = adjustedRate(better);
    const z = (b.rate - w.rate - margin) / Math.sqrt(w.varOfRate + b.varOfRate);
    // The z is referred to Student's t with Hsu's df, not the normal: at a handful of runs a rate is coarse (k/5),
    // and the normal tail rejected at up to 3× the level at the small levels later looks use (see the module doc).
    const p = studentTUpperTail(z, Math.min(worse.n, better.n) - 1);
    return { reject: p < level, z, p };
  }
  const { t, df } = welch(worse, better, margin);
  const p = studentTUpperTail(t, df);
  return { reject: p < level, z: t, p };
}
