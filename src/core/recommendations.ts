/**
 * @module core/recommendations
 * Plain findings over the track records (issue 11 part 3, seed 004 phase 5), each with its evidence and the routing
 * rule that would act on it. Pure: the records and `now` (ms) are parameters; rates and means are read decayed to
 * `now` (core/track-record), so an old streak fades out of the findings as it does out of the router.
 *
 * Two kinds, both only with enough samples and a real gap. Every sample size here is the decayed one, in whole runs
 * (core/track-record `effectiveN`, `wholeRuns`), never the plain count `n`: 9 successes from 200 days ago and one
 * failure today are one run's evidence, and "fails 100 % (n=10)" would be the bad afternoon MIN_N exists to ignore.
 * - `failure_rate`: a (factory, engine, class) fails ≥ FAIL_GAP (15 points) more often than the same engine and
 *   class on every other factory pooled, with an effective n ≥ MIN_N (10) on both sides, and the gap is
 *   significant: a two-proportion z ≥ Z_95 (1.96) on the decayed counts, so 4 failures of 10 vs 1 of 10 is not yet
 *   a finding.
 * - `cost`: its mean cost is ≥ COST_RATIO (2×) the median of the other (factory, engine) pairs on the same class,
 *   each with an effective n ≥ MIN_N of runs that reported a cost (the cost mean's own weight): a run with no
 *   reported cost says nothing about cost.
 */
import { percentNumber } from "./percent-text.ts";
import { type RoutingRule, ruleReason } from "./routing-rules.ts";
import { decayTo, effectiveN, type TrackRecord, wholeRuns } from "./track-record.ts";
import { usdText } from "./usd-text.ts";

/** 10 runs' weight each side (decayed: old runs count less): fewer, and a single bad afternoon reads as a pattern. */
export const MIN_N = 10;
/** 15 percentage points: smaller gaps are within the run-to-run noise of agent work. */
export const FAIL_GAP = 0.15;
/** 1.96: the two-proportion z of a gap that chance alone would reach one time in 40 (one-sided 2.5 %). */
export const Z_95 = 1.96;
/** 2×: cost spreads below this are normal between hosts and prompts. */
export const COST_RATIO = 2;

export interface KeyedTrack {
  factoryId: string;
  engine: string;
  jobClass: string;
  record: TrackRecord;
}

export interface Finding {
  /** Stable for the same (kind, factory, engine, class): `rec_` + an FNV-1a hash. */
  id: string;
  kind: "failure_rate" | "cost";
  factoryId: string;
  engine: string;
  jobClass: string;
  /** One sentence, with the numbers. */
  message: string;
  evidence: Record<string, number>;
  /** The rule `routing apply <id>` would add. */
  rule: Pick<RoutingRule, "factoryId" | "engine" | "jobClass" | "effect" | "reason">;
}

/** FNV-1a, 32 bit, hex: a short id that is the same for the same key across calls and restarts. */
export function findingId(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `rec_${h.toString(16).padStart(8, "0")}`;
}

/** Never "100 %" short of every run nor "0 %" above none (core/percent-text): the rule's reason quotes it. */
const pct = (x: number): string => `${percentNumber(x)} %`;
const failRate = (r: TrackRecord): number =>
  r.successes + r.failures > 0 ? r.failures / (r.successes + r.failures) : 0;

/** The two-proportion z statistic of failure rates p1 (weight n1) over p2 (weight n2); 0 when undefined. */
export function twoProportionZ(p1: number, n1: number, p2: number, n2: number): number {
  if (n1 <= 0 || n2 <= 0) return 0;
  const p = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  return se > 0 ? (p1 - p2) / se : p1 > p2 ? Number.POSITIVE_INFINITY : 0;
}

function finding(k: KeyedTrack, kind: Finding["kind"], message: string, evidence: Record<string, number>): Finding {
  return {
    id: findingId(`${kind}\n${k.factoryId}\n${k.engine}\n${k.jobClass}`),
    kind,
    factoryId: k.factoryId,
    engine: k.engine,
    jobClass: k.jobClass,
    message,
    evidence,
    // Cut to what `POST …/routing/rules` takes: the sentence quotes the class, which can be longer than a reason.
    rule: {
      factoryId: k.factoryId,
      engine: k.engine,
      jobClass: k.jobClass,
      effect: "avoid",
      reason: ruleReason(message),
    },
  };
}

/** `xs` grouped by `key`, each group in the order of `xs`. */
function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const x of xs) {
    const g = groups.get(key(x));
    if (g) g.push(x);
    else groups.set(key(x), [x]);
  }
  return groups;
}

/** The median of sorted `s` with one element equal to `v` left out (`v` is in `s`); NaN when nothing is left. */
function medianWithout(s: readonly number[], v: number): number {
  let lo = 0;
  let hi = s.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((s[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  const at = (j: number): number => s[j < lo ? j : j + 1] as number;
  const m = s.length - 1;
  if (m === 0) return Number.NaN;
  return m % 2 ? at(m >> 1) : (at((m >> 1) - 1) + at(m >> 1)) / 2;
}

/**
 * Every finding at `now`, failure rates first, each group by factory id; a message names each factory by `nameOf`
 * (the operator's name for it — an id like `fac_3f…` tells them nothing), the finding's fields keep its id. O(r log r) in the r records: each compares
 * with its (engine, class) pool and its class's costs through per-group sums and one sorted list per class, never
 * record by record — `GET …/routing/recommendations` reads up to 5,000 of them (policies/track-records MAX_TRACK_ROWS), and a quadratic pass
 * over 5,000 was 25 M comparisons on the coordinator's one thread for any viewer's request.
 */
export function recommend(
  records: readonly KeyedTrack[],
  now: number,
  nameOf: (factoryId: string) => string = (id) => id,
): Finding[] {
  const keyed = records.map((k) => ({ ...k, record: decayTo(k.record, now) }));
  const out: Finding[] = [];
  // Records are keyed by (factory, engine, class), so "every other factory on the same engine and class" is the
  // pool of that (engine, class) less this record.
  const pools = new Map<string, { s: number; f: number }>();
  for (const [key, group] of groupBy(keyed, (k) => `${k.engine}\n${k.jobClass}`)) {
    pools.set(
      key,
      group.reduce((acc, o) => ({ s: acc.s + o.record.successes, f: acc.f + o.record.failures }), { s: 0, f: 0 }),
    );
  }
  for (const k of keyed) {
    const n = wholeRuns(effectiveN(k.record));
    if (n < MIN_N) continue;
    const pool = pools.get(`${k.engine}\n${k.jobClass}`) as { s: number; f: number };
    const pooled = { s: pool.s - k.record.successes, f: pool.f - k.record.failures };
    const nElsewhere = wholeRuns(pooled.s + pooled.f);
    if (nElsewhere < MIN_N) continue;
    const elsewhere = pooled.f / (pooled.s + pooled.f);
    const rate = failRate(k.record);
    const z = twoProportionZ(rate, effectiveN(k.record), elsewhere, pooled.s + pooled.f);
    if (rate - elsewhere < FAIL_GAP || z < Z_95) continue;
    const engine = k.engine === "*" ? "the default engine" : `engine ${k.engine}`;
    const message = `${engine} on ${nameOf(k.factoryId)} fails ${pct(rate)} of \`${k.jobClass}\` jobs (n=${n}) vs ${pct(elsewhere)} elsewhere (n=${nElsewhere})`;
    out.push(finding(k, "failure_rate", message, { n, failRate: rate, elsewhereRate: elsewhere, nElsewhere }));
  }
  const costed = (k: KeyedTrack): number => wholeRuns(k.record.costUsd.w);
  // Per class, the sorted mean costs of every record with enough costed runs; a record's fleet is that list less it.
  const means = new Map<string, number[]>();
  for (const [cls, group] of groupBy(
    keyed.filter((k) => costed(k) >= MIN_N),
    (k) => k.jobClass,
  )) {
    means.set(
      cls,
      group.map((o) => o.record.costUsd.mean).sort((a, b) => a - b),
    );
  }
  for (const k of keyed) {
    const n = costed(k);
    if (n < MIN_N) continue;
    const fleet = medianWithout(means.get(k.jobClass) as number[], k.record.costUsd.mean);
    if (Number.isNaN(fleet)) continue;
    const ratio = fleet > 0 ? k.record.costUsd.mean / fleet : Number.POSITIVE_INFINITY;
    if (!(ratio >= COST_RATIO) || !Number.isFinite(ratio)) continue;
    const engine = k.engine === "*" ? "the default engine" : k.engine;
    const message = `${engine} on ${nameOf(k.factoryId)} costs ${ratio.toFixed(1)}× the fleet median for \`${k.jobClass}\` jobs (${usdText(k.record.costUsd.mean)} vs ${usdText(fleet)}, n=${n} with a reported cost)`;
    out.push(finding(k, "cost", message, { n, costUsd: k.record.costUsd.mean, fleetMedianUsd: fleet, ratio }));
  }
  return out;
}
