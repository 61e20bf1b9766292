/**
 * @module durable-objects/coordinator/policies/routing-changes
 * What learned routing (issue 11) does when the fleet or the product's own routing changes under it:
 * - a factory that never runs again — deregistered (factories/admin `deregister`) or its token revoked
 *   (access/credentials `retireFactoryToken`; it enrolls anew, under another id) — is forgotten
 *   (`forgetFactoryRouting`): its records, the rules naming it, and the experiments it changes (`stopExperimentsNaming`);
 * - new product weights (policies/settings) or a new rule (rpc/routing) may not make a running experiment's two arms
 *   route alike (`assertRunningArmsDiffer`).
 * Its own module: it reaches both the rules (policies/routing-rules) and the experiments (policies/experiments), and
 * experiments read the rules.
 */
import { DomainError } from "../../../core/errors.ts";
import type { Arm } from "../../../core/experiment.ts";
import { armsRouteAlike } from "../../../core/experiment-spec.ts";
import type { RouterWeights } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";
import { listExperiments, stopExperiment } from "./experiments.ts";
import { listRoutingRules, removeRoutingRule } from "./routing-rules.ts";

/**
 * Factory `factoryId` never runs again: its track records go (a new factory starts neutral, as any new one), every
 * rule naming it is removed, and the experiments whose routing it changes are stopped (`stopExperimentsNaming`),
 * each removal and stop audited as an operator's would be, by `actor`. `why` says what
 * happened (`deregistered`, `revoked`): it is the stopped experiments' reason.
 */
export function forgetFactoryRouting(
  tx: Tx,
  factoryId: string,
  actor: string,
  why: string,
): { rulesRemoved: number; experimentsStopped: number } {
  execute(tx.sql, "DELETE FROM track_records WHERE factory_id = ?", factoryId);
  const naming = listRoutingRules(tx.sql).filter((r) => r.factoryId === factoryId);
  for (const r of naming) removeRoutingRule(tx, r.id, actor);
  return { rulesRemoved: naming.length, experimentsStopped: stopExperimentsNaming(tx, factoryId, actor, why) };
}

/**
 * Factory `factoryId` will never run again (deregistered, or its token revoked): every experiment whose routing it
 * changes is stopped by `actor`, audited `routing.experiment.stop` as an operator's stop, its decision saying why —
 * a running one that names it in either arm (the comparison is no longer the one started: that arm's rule now
 * applies to nothing, and with it gone the two arms may route alike, an A/B the guardrail would rarely end), and a
 * concluded one whose winning arm names it (its policy routes the class and would block a new experiment on it).
 * Returns how many were stopped.
 */
export function stopExperimentsNaming(tx: Tx, factoryId: string, actor: string, why: string): number {
  let stopped = 0;
  for (const e of listExperiments(tx.sql)) {
    const names = (arm: Arm) => (e.arms[arm].rules ?? []).some((r) => r.factoryId === factoryId);
    const affected =
      e.status === "running"
        ? names("A") || names("B")
        : e.status === "concluded" && !!e.decision?.winner && names(e.decision.winner);
    if (!affected) continue;
    const reason = `factory ${factoryId} ${why}: an arm's rule named it`;
    stopExperiment(tx, e.id, actor, { at: tx.now, by: "operator", reason });
    stopped += 1;
  }
  return stopped;
}

/**
 * The product's weights and rules (as they are, or as a change in this unit leaves them) must leave every running
 * experiment's two arms routing differently: an arm's weights merge over the product's and its rules add to the
 * product's (clamped), so the product taking arm B's `{load: 2}`, or its prefer, makes the A/B compare a policy with
 * itself — counted on, blocking its class, stopped by the guardrail only at its false-positive rate. `what` names
 * the change for the detail ("these weights", "this rule").
 * @throws DomainError `conflict` (409) naming the experiment, with what to do
 */
export function assertRunningArmsDiffer(sql: SqlStorage, weights: RouterWeights, what: string): void {
  const rules = listRoutingRules(sql);
  for (const e of listExperiments(sql)) {
    if (e.status !== "running" || !armsRouteAlike(e.arms, e.jobClass, weights, rules)) continue;
    throw new DomainError(
      "conflict",
      `with ${what} the two arms of running experiment ${e.id} (${e.jobClass}) would route alike: stop it first, or change something else`,
      { experimentId: e.id },
    );
  }
}
