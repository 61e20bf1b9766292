/**
 * @module core/experiment-spec
 * What makes an experiment's spec meaningful beyond its wire schema (shared/api-routing `ExperimentBody`), checked
 * where every start passes (coordinator policies/experiments `startExperiment`). Pure.
 */
import { DomainError } from "./errors.ts";
import type { ExperimentSpec } from "./experiment.ts";

/**
 * Refuses a guardrail that can never trip: a success_rate margin is a difference of two rates in [0, 1], so an arm
 * can never be worse by 1 or more — an experiment with margin ≥ 1 would run, unguarded, until an operator stopped it.
 * @throws DomainError `validation_failed` (400) with `reason: "margin_out_of_range"` and the zod-style `issues`
 */
export function assertMeaningfulSpec(spec: Pick<ExperimentSpec, "guardrail">): void {
  const { metric, margin } = spec.guardrail;
  if (metric !== "success_rate" || margin < 1) return;
  const message = `a success_rate margin is a difference of rates and must be below 1 (got ${margin}): no arm can be worse by 1 or more, so the guardrail could never stop the experiment`;
  throw new DomainError("validation_failed", `body.guardrail.margin: ${message}`, {
    reason: "margin_out_of_range",
    issues: [{ path: "body.guardrail.margin", message }],
  });
}
