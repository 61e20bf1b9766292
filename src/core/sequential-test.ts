/**
 * @module core/sequential-test
 * The guardrail's statistics (issue 11 part 4): a two-sample comparison repeated at every look of a running
 * experiment, with the false-positive rate controlled across all looks — however many there are.
 *
 * Method: alpha spending by a Bonferroni union bound over looks. Look k (1, 2, …) is tested one-sided at level
 * `α_k = α · 6 / (π² k²)`; since Σ 6/(π² k²) = 1, the chance that *any* look ever rejects a true null is ≤ α (Boole's
 * inequality; see Jennison & Turnbull, "Group Sequential Methods", 2000, §1.3 on Bonferroni bounds for repeated
 * tests). Each look is a Wald z-test on the difference of two means (success rates, or costs) with unpooled
 * variances. The bound is conservative — the looks are positively correlated — which trades speed for a stated rate.
 *
 * Pure; no clock. Units: rates in [0, 1]; costs in USD.
 */

/** Running sums of one arm's outcomes: n, Σx and Σx² (x = 1/0 for success, the run's USD for cost). */
export interface ArmSums {
  n: number;
  sum: number;
  sumSq: number;
}

export const emptySums = (): ArmSums => ({ n: 0, sum: 0, sumSq: 0 });

export const addSample = (s: ArmSums, x: number): ArmSums => ({ n: s.n + 1, sum: s.sum + x, sumSq: s.sumSq + x * x });

/** The level of look `k` (1-based) when `alpha` is spent over all looks: α·6/(π²k²). */
export function lookAlpha(alpha: number, k: number): number {
  return (alpha * 6) / (Math.PI * Math.PI * Math.max(1, k) * Math.max(1, k));
}

/**
 * The standard normal quantile Φ⁻¹(p), p in (0, 1): P. J. Acklam's rational approximation (relative error
 * < 1.15e-9), enough for z thresholds down to p ≈ 1e-12.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p <= 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ] as const;
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572] as const;
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ] as const;
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416] as const;
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Mean and variance of the mean of an arm; a rate is smoothed (s+1)/(n+2) so 0/n or n/n never has zero variance. */
function meanAndVar(s: ArmSums, rate: boolean): { mean: number; varOfMean: number } {
  if (rate) {
    const p = (s.sum + 1) / (s.n + 2);
    return { mean: s.sum / Math.max(1, s.n), varOfMean: (p * (1 - p)) / Math.max(1, s.n) };
  }
  const mean = s.sum / Math.max(1, s.n);
  const variance = s.n > 1 ? Math.max(0, (s.sumSq - s.n * mean * mean) / (s.n - 1)) : 0;
  // A floor of 1e-12 USD²: two arms of constant, different costs still compare (z large) instead of dividing by 0.
  return { mean, varOfMean: Math.max(variance / Math.max(1, s.n), 1e-12) };
}

/**
 * Is `worse` worse than `better` by more than `margin` at level `level` (one-sided)? For a rate, worse = lower
 * (`better.mean − worse.mean > margin`); for a cost, worse = higher (`worse.mean − better.mean > margin`).
 * Answers the z statistic too, for the decision record.
 */
export function worseBy(
  worse: ArmSums,
  better: ArmSums,
  metric: "success_rate" | "cost",
  margin: number,
  level: number,
): { reject: boolean; z: number } {
  const rate = metric === "success_rate";
  const w = meanAndVar(worse, rate);
  const b = meanAndVar(better, rate);
  const gap = rate ? b.mean - w.mean : w.mean - b.mean;
  const z = (gap - margin) / Math.sqrt(w.varOfMean + b.varOfMean);
  return { reject: z > normalQuantile(1 - level), z };
}
