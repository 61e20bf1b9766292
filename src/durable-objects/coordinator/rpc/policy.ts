/**
 * @module durable-objects/coordinator/rpc/policy
 * The ProductCoordinator's fleet-policy methods: product settings, serial gates, the review gate and composite
 * jobs (children, tree). Each is one atomic unit over a store module of this folder; a method adds only what
 * follows the commit (announcing a changed lease TTL, telling a rejected job's holder to stop).
 */

import { type AgingGuarantee, agingGuarantee } from "../../../core/aging.ts";
import type { ChildManifest } from "../../../core/model.ts";
import { reviewsView } from "../../../core/review.ts";
import type { ProductSettings, SettingsPatch } from "../../../core/settings.ts";
import type { Caller } from "../access/tokens.ts";
import { addChildren } from "../dag/children.ts";
import { jobTree } from "../dag/tree.ts";
import { takenLeaseNotice } from "../factories/notices.ts";
import { requireJob } from "../jobs/rows.ts";
import { type ReviewInput, reviewJob } from "../policies/reviews.ts";
import { freezeSerialKey, listSerialGates, unfreezeSerialKey } from "../policies/serial-gates.ts";
import { announceSettings, updateSettings } from "../policies/settings.ts";
import { getSettings, type SettingsView } from "../runtime/meta.ts";
import { FleetRpc } from "./fleet.ts";

/**
 * The settings answer: the record, and what its starvation weight and horizon mean for the aging guarantee
 * (core/aging). A weight that gives the guarantee up is allowed — SPEC §5's own default (1.5) does — so the answer
 * says so, rather than the change being silent.
 */
function withAging(settings: SettingsView): ProductSettings & { aging: AgingGuarantee } {
  // The memo's frozen levels are shared, not copied: an RPC answer reaches its caller as a structured clone.
  return { ...(settings as ProductSettings), aging: agingGuarantee(settings.weights, settings.agingHorizonMinutes) };
}

export abstract class PolicyRpc extends FleetRpc {
  // ---- serial gates & reviews (issue 8, part 4) -------------------------------------------

  /** `GET …/serial`: every key with a holder, a queue or a freeze, paged by key (coordinator/policies/serial-gates). */
  async listSerialGates(productId: string, q: { limit: number; cursor?: string }) {
    return this.units.run(productId, (tx) => listSerialGates(tx, q));
  }

  async freezeSerialKey(productId: string, key: string, actor: string, reason: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => freezeSerialKey(tx, key, actor, reason));
  }

  async unfreezeSerialKey(productId: string, key: string, actor: string, reason: string | undefined, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => unfreezeSerialKey(tx, key, actor, reason));
  }

  /**
   * One review (coordinator/policies/reviews); a reject that took a running job's lease tells its holder to stop in
   * the unit's answer, at the commit — before the dispatch pass the unit causes pushes that factory work for the seat
   * it freed (as jobs' actions do: product-coordinator `action`).
   */
  async review(productId: string, jobId: string, input: ReviewInput, caller: Caller) {
    const outcome = await this.units.runAs(
      caller,
      productId,
      (tx) => {
        const { job, stoppedFactoryId } = reviewJob(tx, jobId, input);
        return { job, stoppedFactoryId, view: reviewsView(job) };
      },
      (done) => {
        if (done.ok) this.tell(takenLeaseNotice(done.value, `reject by ${input.actor}`, "review_rejected"));
      },
    );
    if (!outcome.ok) return outcome;
    const { job, view } = outcome.value;
    return { ok: true as const, value: { job, ...view } };
  }

  async reviews(productId: string, jobId: string) {
    return this.units.run(productId, (tx) => reviewsView(requireJob(tx.sql, jobId)));
  }

  // ---- part 1: product settings (coordinator/policies/settings) ----------------------------------

  /** The product's settings, every key (defaults for what was never set), and whether the aging guarantee holds. */
  async readSettings(productId: string) {
    return this.units.run(productId, (tx) => withAging(getSettings(tx.sql)));
  }

  /** Merge a validated patch (audited, queue version bumped); connected factories hear a changed lease TTL. */
  async patchSettings(productId: string, patch: SettingsPatch, actor: string, caller: Caller) {
    const outcome = await this.units.runAs(caller, productId, (tx) => updateSettings(tx, patch, actor));
    if (!outcome.ok) return outcome;
    if (outcome.value.announce) announceSettings(this.ctx, outcome.value.settings);
    return { ok: true as const, value: withAging(outcome.value.settings) };
  }

  // ---- part 3: DAG (composite jobs) ----

  /**
   * Makes a job a composite parent with these children, all in one unit (coordinator/dag/children); `requestKey`
   * (the request's Idempotency-Key) replays an earlier identical request (`created: false`).
   */
  async addChildren(
    productId: string,
    parentId: string,
    children: ChildManifest[],
    actor: string,
    requestKey: string | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) => addChildren(tx, parentId, children, actor, requestKey));
  }

  /** A job's subtree, bounded (coordinator/dag/tree). */
  async jobTree(productId: string, jobId: string) {
    return this.units.run(productId, (tx) => jobTree(tx, jobId, this.link.workReadyIds()));
  }
}
