/**
 * @module core/cost-revision
 * A counted run's cost revised after it was counted: what counted the run at its close — its track record's cost
 * mean (core/track-record) and its experiment arm's cost sums (core/experiment) — takes the run's new cost in place
 * of the one it closed at, as if the run had closed at it. Why: a fenced report after the close still charges the run
 * (policies/late-spend) and raises its stored cost and its D1 history row; a record kept at the close's cost read a
 * factory whose runs outlive their leases as cheaper than it is, and disagreed with a rebuild from that history.
 * Pure: the run's end (ms) is a parameter, and the revision changes no count, weight of evidence or time — only
 * the cost statistics. Units: USD, ms.
 */
import { countableCost, type Experiment } from "./experiment.ts";
import { type ArmSums, addSample } from "./sequential-test.ts";
import { decayFactor, type Ewm, ewmAdd, HALF_LIFE_MS, type TrackRecord } from "./track-record.ts";

/**
 * `e` with one sample of weight `wx` revised from `from` to `to` (West's weighted mean and M2, exactly as if the
 * sample had been `to`): `from` undefined, the sample was never in `e` (its run reported no cost), so `to` is added
 * with that weight. A sample the EWM cannot hold (no weight in it) changes nothing.
 * @param wx the sample's weight in `e` now, in (0, 1]
 */
export function reviseEwm(e: Ewm, from: number | undefined, to: number, wx: number): Ewm {
  if (from === undefined) return ewmAdd(e, to, 1, wx);
  if (e.w <= 0 || from === to) return e;
  const w = Math.min(wx, e.w);
  const delta = to - from;
  // Σw(x − m)² = Σwx² − W·m²: the sample's square rises by w·δ(2·from + δ), W·m² by w·δ(2m + w·δ/W).
  return {
    w: e.w,
    mean: e.mean + (w * delta) / e.w,
    m2: Math.max(0, e.m2 + w * delta * (2 * (from - e.mean) + delta * (1 - w / e.w))),
  };
}

/**
 * Record `r` with the cost of one counted run that ended at `endedAt` (ms) revised from `from` (USD; undefined: it
 * had reported none, so it was not in the cost mean) to `to` (USD). The run's weight is its age's at `r.updatedAt`,
 * as core/track-record `addOutcome` gives it. `n`, the successes and failures, the durations and `updatedAt` stay as
 * they are; a cost that is no measurement (non-finite, negative) changes nothing.
 */
export function reviseRecordCost(
  r: TrackRecord,
  endedAt: number,
  from: number | undefined,
  to: number,
  halfLifeMs: number = HALF_LIFE_MS,
): TrackRecord {
  if (!countableCost(to)) return r;
  const was = countableCost(from) ? from : undefined;
  const costUsd = reviseEwm(r.costUsd, was, to, decayFactor(r.updatedAt - endedAt, halfLifeMs));
  return costUsd === r.costUsd ? r : { ...r, costUsd };
}

/** Arm sums `s` with one sample revised from `from` to `to` (`from` undefined: added); n unchanged when revised. */
export function reviseSample(s: ArmSums, from: number | undefined, to: number): ArmSums {
  if (from === undefined) return addSample(s, to);
  if (s.n === 0 || from === to) return s;
  return { n: s.n, sum: s.sum + (to - from), sumSq: s.sumSq + (to * to - from * from) };
}

/**
 * Experiment `exp` with the cost of one counted outcome of arm `arm` revised from `from` (USD; undefined or not
 * countable: it had none, so it was not in the arm's cost sums) to `to` (USD). Only a running experiment's counts
 * change (a concluded one was decided on what it had, as core/experiment `observe`); a revision is no look — the
 * guardrail reads the revised sums at its next outcome's look. Returns `exp` itself when nothing changes.
 */
export function reviseArmCost(exp: Experiment, arm: "A" | "B", from: number | undefined, to: number): Experiment {
  if (exp.status !== "running" || !countableCost(to)) return exp;
  const mine = exp.counts[arm];
  const cost = reviseSample(mine.cost, countableCost(from) ? from : undefined, to);
  if (cost === mine.cost) return exp;
  return { ...exp, counts: { ...exp.counts, [arm]: { ...mine, cost } } as Experiment["counts"] };
}
