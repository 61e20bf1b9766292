/**
 * @module core/run-counts
 * The one rule for what a run's end counts as — the engine's success, its failure, or not counted at all — read by
 * every place that counts runs: track records (policies/track-records, its rebuild, a late cost's revision), routing
 * experiments' arms, and a factory's runs and success ratio in `GET …/metrics` and its Prometheus text
 * (policies/factory-rates, which derives its SQL from this function rather than keeping a copy). Pure.
 *
 * `success` is a success; `failure`, `timeout` and `rate_limited` are the engine's failure; `cancelled`, `preempted`,
 * `handed_back` and `fenced` are not counted — an operator, a more urgent job, a hand-back or a lost lease ended the
 * run, not the engine. `budget_exceeded` is the engine's failure at what it spent when the run spent the job's OWN
 * budget (the agent's stop, run-spend's overrun, a product stop of a job with nothing of its own left: all
 * `retryable: false`) — left out, the dearest runs were missing from the cost mean and the success rate, and an engine
 * that kept blowing its budget looked cheap and kept being chosen — but not counted when the PRODUCT's budget stopped
 * and requeued it (policies/budget-stop, `retryable: true`): the engine did not fail, and its partial spend would
 * understate a whole run's, as a preemption's would. A `budget_exceeded` result without `retryable` (none is written
 * so today) is the job's own overrun: only the coordinator's stop says `true`.
 *
 * Breakers and the error budget do not use this rule: they ask whether the engine is DOWN, and an overrun says it is
 * dear, not down (policies/breakers `breakerEvent`: every `budget_exceeded` is neutral there).
 */
import type { RunResult } from "./model.ts";

export type RunOutcome = RunResult["outcome"];

/** Every run outcome, as a record so a new outcome does not compile until it is listed here. */
const OUTCOMES: Record<RunOutcome, true> = {
  success: true,
  failure: true,
  timeout: true,
  rate_limited: true,
  cancelled: true,
  preempted: true,
  handed_back: true,
  budget_exceeded: true,
  fenced: true,
};

/** Every run outcome, in a fixed order (the keys of an exhaustive record). */
export const RUN_OUTCOMES = Object.keys(OUTCOMES) as RunOutcome[];

/**
 * Whether a run's end is the engine's success (true), its failure (false) or not counted (undefined): `outcome` and
 * the result's `retryable` (read for `budget_exceeded` only: `true` is the product budget's stop-and-requeue;
 * `false` or absent, an overrun of the job's own budget).
 */
export function countsAs(outcome: RunOutcome, retryable?: boolean): boolean | undefined {
  switch (outcome) {
    case "success":
      return true;
    case "failure":
    case "timeout":
    case "rate_limited":
      return false;
    case "budget_exceeded":
      return retryable === true ? undefined : false;
    case "cancelled":
    case "preempted":
    case "handed_back":
    case "fenced":
      return undefined;
  }
}
