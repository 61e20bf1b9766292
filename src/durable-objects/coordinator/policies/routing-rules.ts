/**
 * @module durable-objects/coordinator/policies/routing-rules
 * Operator routing rules (issue 11 part 3) in `routing_rules`, over core/routing-rules: added (`routing.rule.add`)
 * and removed (`routing.rule.remove`) by an operator, both audited; read by every route context (dispatch/claim)
 * as prefer/avoid score adjustments. Removing a rule reverses it exactly: a rule holds no other state.
 */
import { DomainError, NotFoundError } from "../../../core/errors.ts";
import { type RoutingRule, sameRule } from "../../../core/routing-rules.ts";
import { canonicalJobClass } from "../../../core/track-record.ts";
import { execute } from "../../sql-statements.ts";
import { requireRoutableFactory } from "../factories/registry.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";

/** 200 rules: each is read on every routing decision; a fleet needing more wants weights or cordons, not rules. */
export const MAX_RULES = 200;

/** What `POST …/routing/rules` carries (validated at the boundary, shared/api-routing). */
export interface RuleInput {
  factoryId: string;
  engine?: string;
  jobClass?: string;
  effect: RoutingRule["effect"];
  reason: string;
  fromRecommendation?: string;
}

/** Every rule, oldest first. */
export function listRoutingRules(sql: SqlStorage): RoutingRule[] {
  return sql
    .exec<{ doc: string }>("SELECT doc FROM routing_rules ORDER BY created_at, id")
    .toArray()
    .map((r) => JSON.parse(r.doc) as RoutingRule);
}

/**
 * A new rule by `actor`, audited `routing.rule.add`.
 * @throws NotFoundError — no such factory. DomainError conflict — the factory is revoked (factories/registry
 *   `requireRoutableFactory`),
 *   or (details.ruleId) a rule with the same factory,
 *   engine, job class and effect is in force (core/routing-rules `sameRule`), or one with the opposite effect (the
 *   two would cancel out). DomainError limit_exceeded — MAX_RULES.
 */
export function addRoutingRule(tx: Tx, given: RuleInput, actor: string): RoutingRule {
  // Stored as jobs spell their class, so `os:linux,lang:rust` matches `lang:rust,os:linux` jobs and twins.
  const input = given.jobClass === undefined ? given : { ...given, jobClass: canonicalJobClass(given.jobClass) };
  requireRoutableFactory(tx.sql, input.factoryId, tx.now);
  const count = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM routing_rules").one().n;
  const rules = listRoutingRules(tx.sql);
  // Its opposite in force is refused too: prefer and avoid add up to 0, so the new rule would change nothing while
  // both showed as in force (and a recommendation applied over the other, as applied: `appliedAs`).
  const opposite = input.effect === "prefer" ? "avoid" : "prefer";
  const twin = sameRule(rules, input) ?? sameRule(rules, { ...input, effect: opposite });
  if (twin) {
    const clash = twin.effect === input.effect ? "" : `, which this ${input.effect} would cancel out (rules add up)`;
    throw new DomainError(
      "conflict",
      `rule ${twin.id} ${clash ? "" : "already "}${twin.effect}s ${twin.factoryId} for this engine and job class${clash}; remove it first to change it`,
      { ruleId: twin.id, ...(twin.fromRecommendation ? { fromRecommendation: twin.fromRecommendation } : {}) },
    );
  }
  if (count >= MAX_RULES) {
    throw new DomainError("limit_exceeded", `at most ${MAX_RULES} routing rules; remove one first`, {
      max: MAX_RULES,
    });
  }
  const rule: RoutingRule = {
    id: newId("rr", tx.now),
    factoryId: input.factoryId,
    ...(input.engine !== undefined ? { engine: input.engine } : {}),
    ...(input.jobClass !== undefined ? { jobClass: input.jobClass } : {}),
    effect: input.effect,
    reason: input.reason,
    ...(input.fromRecommendation !== undefined ? { fromRecommendation: input.fromRecommendation } : {}),
    createdAt: tx.now,
    createdBy: actor,
  };
  execute(
    tx.sql,
    "INSERT INTO routing_rules(id, created_at, doc) VALUES (?, ?, ?)",
    rule.id,
    rule.createdAt,
    JSON.stringify(rule),
  );
  enqueueAudit(tx, actor, "routing.rule.add", rule.id, { ...rule });
  return rule;
}

/**
 * Removes rule `id`, audited `routing.rule.remove` with the rule as it was.
 * @throws NotFoundError — no such rule.
 */
export function removeRoutingRule(tx: Tx, id: string, actor: string): RoutingRule {
  const row = one<{ doc: string }>(tx.sql, "SELECT doc FROM routing_rules WHERE id = ?", id);
  if (!row) throw new NotFoundError("routing rule", id);
  const rule = JSON.parse(row.doc) as RoutingRule;
  execute(tx.sql, "DELETE FROM routing_rules WHERE id = ?", id);
  enqueueAudit(tx, actor, "routing.rule.remove", id, { ...rule });
  return rule;
}
