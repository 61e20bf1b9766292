/**
 * @module core/experiment-spec
 * What makes an experiment's spec meaningful beyond its wire schema (shared/api-routing `ExperimentBody`), checked
 * where every start passes (coordinator policies/experiments `startExperiment`). Pure.
 */
import { DomainError } from "./errors.ts";
import type { ArmPolicy, ExperimentSpec } from "./experiment.ts";
import type { RouterWeights } from "./model.ts";
import { type RoutingRule, RULE_STEP } from "./routing-rules.ts";

/**
 * Refuses arms that route alike (`assertDistinctArms`, over the product's weights `base` and rules) and a guardrail that can
 * never trip: a success_rate margin is a difference of two rates in [0, 1], so an arm
 * can never be worse by 1 or more — an experiment with margin ≥ 1 would run, unguarded, until an operator stopped it.
 * @throws DomainError `validation_failed` (400) with `reason: "margin_out_of_range"` and the zod-style `issues`
 */
export function assertMeaningfulSpec(
  spec: Pick<ExperimentSpec, "guardrail" | "arms"> & Partial<Pick<ExperimentSpec, "jobClass">>,
  base?: RouterWeights,
  productRules: ReadonlyArray<RuleLike & Pick<RoutingRule, "jobClass">> = [],
): void {
  assertDistinctArms(spec.arms, spec.jobClass, base, productRules);
  const { metric, margin } = spec.guardrail;
  if (metric !== "success_rate" || margin < 1) return;
  const message = `a success_rate margin is a difference of rates and must be below 1 (got ${margin}): no arm can be worse by 1 or more, so the guardrail could never stop the experiment`;
  throw new DomainError("validation_failed", `body.guardrail.margin: ${message}`, {
    reason: "margin_out_of_range",
    issues: [{ path: "body.guardrail.margin", message }],
  });
}

/** An arm's weights in one spelling: by name, those equal to the product's (`base`) left out — they change nothing. */
function weightsKey(p: ArmPolicy, base?: Readonly<Partial<RouterWeights>>): string {
  const weights = Object.entries(p.weights ?? {})
    .filter(([k, v]) => v !== undefined && v !== base?.[k as keyof RouterWeights])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify(weights);
}

/** A rule as the router reads it for one class: its factory, its engine (absent: all), its effect. */
type RuleLike = Pick<RoutingRule, "factoryId" | "engine" | "effect">;

/** The clamped adjustment `rules` give factory `f` for a job of engine `g` (core/routing-rules `ruleEvidence`). */
function adjustment(rules: readonly RuleLike[], f: string, g: string): number {
  let sum = 0;
  for (const r of rules)
    if (r.factoryId === f && (r.engine === undefined || r.engine === g))
      sum += r.effect === "prefer" ? RULE_STEP : -RULE_STEP;
  return Math.max(-RULE_STEP, Math.min(RULE_STEP, sum));
}

/**
 * Whether two arms rank every job of `jobClass` alike, over the product's weights `base` and its rules
 * `productRules` (those of another class are ignored): the same weights once the product's own values are left out,
 * and for every factory an arm names and every engine — each one a rule names, and any other — the same clamped rule
 * adjustment. So the order and repeats of rules, a prefer and an avoid that cancel, and a prefer the product already
 * makes (the sum is clamped to ±RULE_STEP) all change nothing, as in the router.
 */
export function armsRouteAlike(
  arms: ExperimentSpec["arms"],
  jobClass: string,
  base?: Readonly<Partial<RouterWeights>>,
  productRules: ReadonlyArray<RuleLike & Pick<RoutingRule, "jobClass">> = [],
): boolean {
  if (weightsKey(arms.A, base) !== weightsKey(arms.B, base)) return false;
  const shared = productRules.filter((r) => r.jobClass === undefined || r.jobClass === jobClass);
  const [a, b] = [
    [...shared, ...(arms.A.rules ?? [])],
    [...shared, ...(arms.B.rules ?? [])],
  ];
  const factories = new Set([...(arms.A.rules ?? []), ...(arms.B.rules ?? [])].map((r) => r.factoryId));
  const engines = new Set([...a, ...b].flatMap((r) => (r.engine === undefined ? [] : [r.engine])));
  engines.add("\u0000another engine"); // no engine is spelled so: stands for every engine no rule names
  for (const f of factories) for (const g of engines) if (adjustment(a, f, g) !== adjustment(b, f, g)) return false;
  return true;
}

/**
 * Refuses two arms that route alike (`armsRouteAlike`: both `{}` included, or weights and rules the product already
 * has): the A/B would compare a policy with itself — no winner to find — while blocking every other experiment on its
 * class until stopped.
 * @throws DomainError `identical_arms` (400), the detail saying what to pass
 */
export function assertDistinctArms(
  arms: ExperimentSpec["arms"],
  jobClass = "-",
  base?: Readonly<Partial<RouterWeights>>,
  productRules: ReadonlyArray<RuleLike & Pick<RoutingRule, "jobClass">> = [],
): void {
  if (!armsRouteAlike(arms, jobClass, base, productRules)) return;
  throw new DomainError(
    "identical_arms",
    `arms A and B have the same routing policy (${JSON.stringify(arms.A)}${base ? " over the product's weights and rules" : ""}): the experiment would compare it with itself; give arm B (or A) different weights or prefer/avoid rules`,
    { arms },
  );
}
