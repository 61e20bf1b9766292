/**
 * @module core/run-estimate-record
 * What a closed run's record says it was charged as an estimate: its stored insights' `estimatedUsd`, the USD the
 * coordinator charged on top of its reported USD for tokens its engine gave no USD for, at settings `prices`
 * (core/price-estimate: the run's `run_estimate` part, its `spend.estimatedUsd`). The closed run is the record D1's
 * history row is written from (history/rows `estimatedUsd`): without it a Codex run charged $1.80 read
 * "— (500,000 unpriced)" in `history --kind runs` while `job` and `budget` said $1.80 estimated. Pure.
 */
import { fromMicros, toMicros } from "./budget.ts";
import type { Insights } from "./model.ts";

/**
 * A closed run's stored insights: what it reported (core/model `Insights`) and what the coordinator charged on top of
 * `costUsd` for its unpriced tokens, USD (absent: none). Kept apart from `Insights`, the agent's report, which never
 * carries it (shared/api-work `InsightsFields` refuses it); the run answer's schema names it (shared/api-job-schemas).
 */
export type RecordedInsights = Insights & { estimatedUsd?: number };

/**
 * `insights` with `estimatedUsd` set to `chargedUsd` (USD, the run's estimated part as charged; whole micro-dollars,
 * as core/price-estimate keeps it) when it is above 0, else without it — a run whose engine's USD took the whole
 * estimate's place (core/price-estimate `chargeRun`) holds none, and an agent's word is never kept. Answers `insights`
 * itself (the same object) when it already says that, so a caller tells a change by identity; undefined stays
 * undefined when there is nothing to say.
 */
export function withEstimate(insights: RecordedInsights | undefined, chargedUsd: number): RecordedInsights | undefined {
  const usd = fromMicros(Math.max(0, toMicros(chargedUsd)));
  if ((insights?.estimatedUsd ?? 0) === usd) return insights;
  const { estimatedUsd: _said, ...rest } = insights ?? {};
  return usd > 0 ? { ...rest, estimatedUsd: usd } : rest;
}
