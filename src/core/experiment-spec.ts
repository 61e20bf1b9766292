/**
 * @module core/experiment-spec
 * What makes an experiment's spec meaningful beyond its wire schema (shared/api-routing `ExperimentBody`), checked
 * where every start passes (coordinator policies/experiments `startExperiment`). Pure.
 */
import { DomainError } from "./errors.ts";
import type { ArmPolicy, ExperimentSpec } from "./experiment.ts";
import type { RouterWeights } from "./model.ts";

/**
 * Refuses arms that route alike (`assertDistinctArms`, over the product's weights `base`) and a guardrail that can
 * never trip: a success_rate margin is a difference of two rates in [0, 1], so an arm
 * can never be worse by 1 or more — an experiment with margin ≥ 1 would run, unguarded, until an operator stopped it.
 * @throws DomainError `validation_failed` (400) with `reason: "margin_out_of_range"` and the zod-style `issues`
 */
export function assertMeaningfulSpec(spec: Pick<ExperimentSpec, "guardrail" | "arms">, base?: RouterWeights): void {
  assertDistinctArms(spec.arms, base);
  const { metric, margin } = spec.guardrail;
  if (metric !== "success_rate" || margin < 1) return;
  const message = `a success_rate margin is a difference of rates and must be below 1 (got ${margin}): no arm can be worse by 1 or more, so the guardrail could never stop the experiment`;
  throw new DomainError("validation_failed", `body.guardrail.margin: ${message}`, {
    reason: "margin_out_of_range",
    issues: [{ path: "body.guardrail.margin", message }],
  });
}

/**
 * An arm's policy in one spelling: weights by name, rules as a sorted set (their order and repeats change nothing
 * the router does), empty weights or rules as absent. A weight equal to the product's (`base`) is absent too: an arm
 * merges its weights over the product's, so `{load: 1}` over a product weighing load 1 routes as `{}` does. A factory and engine as many times preferred as avoided is
 * left out: the router adds ±RULE_STEP per rule, so they cancel exactly, as if neither were there.
 */
export function armPolicyKey(p: ArmPolicy, base?: Readonly<Partial<RouterWeights>>): string {
  const weights = Object.entries(p.weights ?? {})
    .filter(([k, v]) => v !== undefined && v !== base?.[k as keyof RouterWeights])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  const net = new Map<string, number>();
  for (const r of p.rules ?? []) {
    const target = JSON.stringify([r.factoryId, r.engine ?? null]);
    net.set(target, (net.get(target) ?? 0) + (r.effect === "prefer" ? 1 : -1));
  }
  const rules = [...net].flatMap(([target, n]) =>
    n === 0 ? [] : [JSON.stringify([...JSON.parse(target), n > 0 ? "prefer" : "avoid"])],
  );
  return JSON.stringify({ weights, rules: rules.sort() });
}

/**
 * Refuses two arms with the same policy (both `{}` included, or weights the product already has): the A/B would
 * compare a policy with itself — no winner to find — while blocking every other experiment on its class until stopped.
 * @throws DomainError `identical_arms` (400), the detail saying what to pass
 */
export function assertDistinctArms(arms: ExperimentSpec["arms"], base?: Readonly<Partial<RouterWeights>>): void {
  if (armPolicyKey(arms.A, base) !== armPolicyKey(arms.B, base)) return;
  throw new DomainError(
    "identical_arms",
    `arms A and B have the same routing policy (${JSON.stringify(arms.A)}${base ? " over the product's weights" : ""}): the experiment would compare it with itself; give arm B (or A) different weights or prefer/avoid rules`,
    { arms },
  );
}
