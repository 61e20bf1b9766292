/**
 * @module core/routing-rules
 * Operator routing rules (issue 11 part 3): "prefer" or "avoid" a factory — for one engine and/or one job class, or
 * for all — usually applied from a recommendation (core/recommendations). Pure.
 *
 * A rule is a score adjustment, never a hard filter: a rule comes from statistics, which shift odds but do not prove
 * a factory unable. A filter could strand a job whose only capable factory is avoided; hard exclusion has its own
 * tools (cordon, quarantine, breakers). Several matching rules add up, clamped to ±RULE_STEP.
 */
import { truncateUtf8, utf8Bytes } from "./bytes.ts";
import type { Factory } from "./model.ts";

/**
 * 2 points: more than any single positive term at its default weight (≤ 1) so an "avoid" really reorders two
 * otherwise similar hosts, yet below the starvation weight (2.5), so an aged job still finds an avoided host.
 */
export const RULE_STEP = 2;

/**
 * 2,000 bytes of UTF-8 for a rule's reason (`POST …/routing/rules`, shared/api-routing): a finding's sentence with
 * its numbers fits twice over — unless it quotes a job class of 32 long capabilities, and then it is cut to fit
 * (`ruleReason`).
 */
export const RULE_REASON_MAX_BYTES = 2_000;

/** `text` as a rule's reason: cut, with an ellipsis, to RULE_REASON_MAX_BYTES of UTF-8 when longer. */
export function ruleReason(text: string): string {
  return utf8Bytes(text) <= RULE_REASON_MAX_BYTES ? text : `${truncateUtf8(text, RULE_REASON_MAX_BYTES - 3)}…`;
}

export type RuleEffect = "prefer" | "avoid";

export interface RoutingRule {
  id: string;
  factoryId: string;
  /** Absent: every engine. `*` = the factory's default engine (jobs that name none). */
  engine?: string;
  /** Absent: every job class (core/track-record `jobClassOf`). */
  jobClass?: string;
  effect: RuleEffect;
  reason: string;
  /** The recommendation it was applied from, if any. */
  fromRecommendation?: string;
  createdAt: number;
  createdBy: string;
}

/**
 * The rule already in force with `input`'s target and effect (factory, engine, job class, effect), if any. A second
 * such rule changes no score (sums are clamped) but would keep the effect after an operator undid "the" rule, and a
 * recommendation applied twice would need two undos: the coordinator refuses it instead (409 `conflict`).
 */
export function sameRule(
  rules: readonly RoutingRule[],
  input: Pick<RoutingRule, "factoryId" | "engine" | "jobClass" | "effect">,
): RoutingRule | undefined {
  return rules.find(
    (r) =>
      r.factoryId === input.factoryId &&
      r.engine === input.engine &&
      r.jobClass === input.jobClass &&
      r.effect === input.effect,
  );
}

/** The rules in force for one candidate, as explain shows them, and their summed adjustment. */
export interface RuleEvidence {
  rules: Array<Pick<RoutingRule, "id" | "effect" | "reason">>;
  /** In [−RULE_STEP, RULE_STEP], added to the score. */
  adjustment: number;
}

/** Whether `rule` applies to a job of `engine` (`*` = none named) and class `jobClass` on `factoryId`. */
export function ruleMatches(rule: RoutingRule, factoryId: string, engine: string, jobClass: string): boolean {
  return (
    rule.factoryId === factoryId &&
    (rule.engine === undefined || rule.engine === engine) &&
    (rule.jobClass === undefined || rule.jobClass === jobClass)
  );
}

/** The evidence of every factory that some rule matches (others absent), keyed by factory id. */
export function ruleEvidence(
  rules: readonly RoutingRule[],
  factories: readonly Pick<Factory, "id">[],
  engine: string,
  jobClass: string,
): Map<string, RuleEvidence> {
  const out = new Map<string, RuleEvidence>();
  for (const f of factories) {
    const hits = rules.filter((r) => ruleMatches(r, f.id, engine, jobClass));
    if (hits.length === 0) continue;
    const sum = hits.reduce((acc, r) => acc + (r.effect === "prefer" ? RULE_STEP : -RULE_STEP), 0);
    out.set(f.id, {
      rules: hits.map(({ id, effect, reason }) => ({ id, effect, reason })),
      adjustment: Math.max(-RULE_STEP, Math.min(RULE_STEP, sum)),
    });
  }
  return out;
}
