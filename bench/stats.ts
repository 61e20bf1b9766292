/** Percentiles by nearest rank: every reported figure is a latency someone actually saw. */

export interface Summary {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** Milliseconds to one decimal: finer than that is timer noise on a loaded 2-core box. */
export function round1(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10) / 10;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round1(percentile(s, 50)),
    p95: round1(percentile(s, 95)),
    p99: round1(percentile(s, 99)),
    max: round1(s.length ? (s[s.length - 1] ?? null) : null),
  };
}
