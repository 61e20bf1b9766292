/**
 * @module durable-objects/coordinator/rpc/routing
 * The ProductCoordinator's RPC methods for learned routing (issue 11 parts 1–4). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← rpc/batches ← rpc/routing ← rpc/work ←
 * ProductCoordinator): each method is one atomic unit over a store module; it adds only what must follow the commit.
 *
 * Track records are written by every run's end (jobs/runs `finishRun`); here they are read, turned into
 * recommendations (core/recommendations), and rebuilt from the D1 history the Worker hands over in chunks.
 * Experiments (policies/experiments) are started and stopped here; they conclude on their own in `finishRun`.
 * A rule or experiment change is followed by a dispatch pass: the ranking it changes may now send queued work elsewhere.
 */
import type { ExperimentSpec } from "../../../core/experiment.ts";
import { recommend } from "../../../core/recommendations.ts";
import { sameRule } from "../../../core/routing-rules.ts";
import type { TrackRecordsQueryT } from "../../../shared/api-track-records.ts";
import type { Caller } from "../access/tokens.ts";
import { cachedFactory } from "../factories/cache.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { listExperiments, requireExperiment, startExperiment, stopExperiment } from "../policies/experiments.ts";
import { assertRunningArmsDiffer } from "../policies/routing-changes.ts";
import { addRoutingRule, listRoutingRules, type RuleInput, removeRoutingRule } from "../policies/routing-rules.ts";
import { type HistoryRun, replayRuns } from "../policies/track-rebuild.ts";
import { readTrackRecords } from "../policies/track-record-reads.ts";
import { listTrackRecords } from "../policies/track-records.ts";
import { getSettings } from "../runtime/meta.ts";
import { BatchRpc } from "./batches.ts";

export abstract class RoutingRpc extends BatchRpc {
  /**
   * The stored track records (factory, engine, job class, record), undecayed as stored: every one, or as `filter`
   * narrows them (policies/track-record-reads: one factory's, each factory's `perFactory` with the most runs).
   */
  async trackRecords(productId: string, filter: TrackRecordsQueryT = {}) {
    return this.units.run(productId, (tx) => readTrackRecords(tx.sql, filter));
  }

  /**
   * The findings of core/recommendations over the track records at now, each with the rule in force that applies it
   * (`appliedAs`: one that prefers/avoids the same factory, engine and class — one naming the finding first, else any
   * such rule), or null.
   */
  async routingRecommendations(productId: string) {
    return this.units.run(productId, (tx) => {
      const rules = listRoutingRules(tx.sql);
      // Only a rule that does what the finding proposes applies it: a rule may name any recommendation it likes. And
      // any rule that does applies it, whatever it names: a host's failure and cost findings propose one rule, and
      // the second, shown unapplied, answered `routing apply` and the dashboard's Apply with a 409 (a twin rule).
      // Messages name factories (cached documents: no read per finding once warm); a deregistered one keeps its id.
      const nameOf = (id: string) => cachedFactory(tx.sql, id)?.name ?? id;
      return recommend(listTrackRecords(tx.sql), tx.now, nameOf).map((f) => ({
        ...f,
        appliedAs:
          (
            sameRule(
              rules.filter((r) => r.fromRecommendation === f.id),
              f.rule,
            ) ?? sameRule(rules, f.rule)
          )?.id ?? null,
      }));
    });
  }

  async listRoutingRules(productId: string) {
    return this.units.run(productId, (tx) => listRoutingRules(tx.sql));
  }

  /**
   * `POST …/routing/rules`: audited `routing.rule.add`; a dispatch pass follows. 409 conflict when the rule would make
   * a running experiment's two arms route alike (policies/routing-changes `assertRunningArmsDiffer`): nothing is kept.
   */
  async addRoutingRule(productId: string, input: RuleInput, actor: string, caller: Caller) {
    return this.afterRuleChange(
      await this.units.runAs(caller, productId, (tx) => {
        const rule = addRoutingRule(tx, input, actor);
        // With it in force: a rule that makes a running experiment's arms route alike rolls the unit back (409).
        assertRunningArmsDiffer(tx.sql, getSettings(tx.sql).weights, "this rule");
        return rule;
      }),
    );
  }

  /**
   * `DELETE …/routing/rules/{id}`: audited `routing.rule.remove`; unknown id → not_found. 409 conflict when taking the
   * rule away would make a running experiment's two arms route alike, as adding one would (a product rule that an
   * arm's rule cancels or outweighs is all that tells the arms apart): nothing is removed.
   */
  async removeRoutingRule(productId: string, id: string, actor: string, caller: Caller) {
    return this.afterRuleChange(
      await this.units.runAs(caller, productId, (tx) => {
        const rule = removeRoutingRule(tx, id, actor);
        // Without it in force: arms that would now route alike roll the unit back (409), the rule kept.
        assertRunningArmsDiffer(tx.sql, getSettings(tx.sql).weights, "this rule removed");
        return rule;
      }),
    );
  }

  /**
   * One chunk of a rebuild from the D1 runs: `first` empties the table before it, audits `routing.rebuild` by `actor`
   * and answers the rebuild's number, which every later chunk passes as `rebuild` (policies/track-rebuild
   * `replayRuns`: a run that ended after the first chunk is not counted again; a newer rebuild's first chunk makes
   * an older one's next chunk a conflict). Each chunk is its own unit, so a long history never holds the object for long.
   */
  async rebuildTrackRecords(
    productId: string,
    runs: HistoryRun[],
    first: boolean,
    actor: string,
    rebuild: number | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) => {
      if (first) enqueueAudit(tx, actor, "routing.rebuild", productId, {});
      return replayRuns(tx, runs, first ? undefined : (rebuild ?? 0));
    });
  }

  async listExperiments(productId: string) {
    return this.units.run(productId, (tx) => listExperiments(tx.sql));
  }

  /** `GET …/routing/experiments/{id}`; unknown id → not_found. */
  async getExperiment(productId: string, id: string) {
    return this.units.run(productId, (tx) => requireExperiment(tx.sql, id));
  }

  /** `POST …/routing/experiments`: audited `routing.experiment.start`; a dispatch pass follows (queued work re-ranks). */
  async startExperiment(productId: string, spec: ExperimentSpec, actor: string, caller: Caller) {
    return this.afterRuleChange(await this.units.runAs(caller, productId, (tx) => startExperiment(tx, spec, actor)));
  }

  /** `POST …/routing/experiments/{id}/stop`: audited `routing.experiment.stop`; a dispatch pass follows. */
  async stopExperiment(productId: string, id: string, actor: string, caller: Caller) {
    return this.afterRuleChange(await this.units.runAs(caller, productId, (tx) => stopExperiment(tx, id, actor)));
  }

  private async afterRuleChange<T extends { ok: boolean }>(outcome: T): Promise<T> {
    if (outcome.ok) {
      this.link.requestDispatch(); // throttled: a pass that throws is logged, never thrown at this committed change
      await this.units.settle();
    }
    return outcome;
  }
}
