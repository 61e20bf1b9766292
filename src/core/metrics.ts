/**
 * @module core/metrics
 * The pure rules behind the coordinator's metrics (issue 9, part 9): when a job became due, how long dispatch took,
 * which fixed bucket a latency falls in, and quantiles read back from a bucketed histogram.
 *
 * Units: every duration is milliseconds; `now` and the job's times are ms since the epoch. The bucket bounds are
 * fixed (not configurable) so that histograms from any coordinator, any day, can be added bucket by bucket — the
 * property Prometheus' `histogram_quantile` relies on. Seeds: 001 "versioned metrics", 004 "fleet metrics".
 */

/** Upper bounds (inclusive, ms) of the dispatch latency buckets; a last, implicit bucket is `+Inf`. */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** A bucketed histogram: `counts[i]` samples fell in bucket i (NOT cumulative); the last index is `+Inf`. */
export interface Histogram {
  /** Length `LATENCY_BUCKETS_MS.length + 1`. */
  counts: number[];
  /** Number of samples. */
  count: number;
  /** Sum of the samples, ms. */
  sumMs: number;
}

/** One cumulative bucket as JSON and Prometheus show it: samples ≤ `le` (`"+Inf"` for the last). */
export interface CumulativeBucket {
  le: number | "+Inf";
  count: number;
}

/**
 * When a job became due for dispatch: the later of its (re)queue time and its `notBefore` (a retry's backoff or a
 * scheduled start), ms epoch. A job is not "waiting for dispatch" while it may not run yet.
 */
export function dueAt(queuedAt: number, notBefore?: number): number {
  return notBefore !== undefined && notBefore > queuedAt ? notBefore : queuedAt;
}

/**
 * Dispatch latency of a lease granted at `now`: ms from `dueAt` to `now`, never negative (a job granted before it
 * was due — an operator forcing it — counts as 0, not as a negative sample that would corrupt the sum).
 */
export function dispatchLatencyMs(queuedAt: number, notBefore: number | undefined, now: number): number {
  return Math.max(0, now - dueAt(queuedAt, notBefore));
}

/**
 * Index of the first bucket whose bound is ≥ `ms`; `LATENCY_BUCKETS_MS.length` (the `+Inf` bucket) past the last.
 * @throws RangeError — `ms` is negative or not a number.
 */
export function bucketIndex(ms: number): number {
  if (!(ms >= 0)) throw new RangeError(`latency must be a non-negative number of ms (got ${ms})`);
  const i = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

export function emptyHistogram(): Histogram {
  return { counts: new Array(LATENCY_BUCKETS_MS.length + 1).fill(0), count: 0, sumMs: 0 };
}

/** A new histogram with one more sample of `ms` (the input is not changed). */
export function observe(h: Histogram, ms: number): Histogram {
  const counts = [...h.counts];
  counts[bucketIndex(ms)]! += 1;
  return { counts, count: h.count + 1, sumMs: h.sumMs + ms };
}

/** The histogram's buckets as cumulative counts (Prometheus `_bucket{le}`): non-decreasing, the last equals `count`. */
export function cumulativeBuckets(h: Histogram): CumulativeBucket[] {
  let running = 0;
  return h.counts.map((n, i) => {
    running += n;
    return { le: LATENCY_BUCKETS_MS[i] ?? "+Inf", count: running };
  });
}

/**
 * A quantile read off a histogram: `ms` the estimate; `over` true when the rank falls in the `+Inf` bucket, where
 * `ms` is only a lower bound (the largest finite bound) — the true value is somewhere above it, not at it.
 */
export interface QuantileEstimate {
  ms: number;
  over: boolean;
}

/**
 * The q-quantile (0 < q ≤ 1) estimated from cumulative buckets the way Prometheus' `histogram_quantile` does:
 * linear interpolation inside the bucket that holds the rank; a rank in `+Inf` answers the largest finite bound with
 * `over: true` (shown as "> 10 s", not as an exact 10000 ms). Undefined when there are no samples.
 * @throws RangeError — q outside (0, 1].
 */
export function quantileEstimate(buckets: readonly CumulativeBucket[], q: number): QuantileEstimate | undefined {
  if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1] (got ${q})`);
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === "+Inf") return { ms: lowerBound, over: true };
      const inBucket = b.count - lowerCount;
      const ms = inBucket === 0 ? b.le : lowerBound + ((b.le - lowerBound) * (rank - lowerCount)) / inBucket;
      return { ms, over: false };
    }
    if (b.le !== "+Inf") lowerBound = b.le;
    lowerCount = b.count;
  }
  return { ms: lowerBound, over: true };
}

/** `quantileEstimate`'s number alone (Prometheus' own answer; the dashboard's copy is tested equal to it). */
export function quantileMs(buckets: readonly CumulativeBucket[], q: number): number | undefined {
  return quantileEstimate(buckets, q)?.ms;
}

/** Share of `part` in `whole` in [0, 1]; 0 when `whole` is 0 (no seats, no runs: nothing to divide). */
export function ratio(part: number, whole: number): number {
  return whole > 0 ? Math.min(1, Math.max(0, part / whole)) : 0;
}
