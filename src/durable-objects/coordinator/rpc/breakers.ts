/**
 * @module durable-objects/coordinator/rpc/breakers
 * The ProductCoordinator's RPC methods for circuit breakers and quarantine (issue 9, parts 3–4). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← rpc/batches ← rpc/routing ← rpc/work ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 *
 * The factory list and a single factory are served here with their breakers attached (`breakers: [{engine, state,
 * consecutiveFailures, openUntil?}]`) and their link (`connected`, `disconnectedAt`: factories/fleet-view), overriding
 * rpc/fleet's plain views, so `GET …/factories` shows them.
 */
import type { Factory } from "../../../core/model.ts";
import type { Caller } from "../access/tokens.ts";
import { releaseQuarantined } from "../factories/admin.ts";
import { type FleetFactory, fleetFactory, linkedFactoryIds, withLinks } from "../factories/fleet-view.ts";
import { listFactories, requireFactory } from "../factories/registry.ts";
import { statusNotice } from "../factories/standing.ts";
import { resetFactoryBreaker } from "../policies/breaker-reset.ts";
import { breakersOf, listBreakers } from "../policies/breaker-views.ts";
import { BudgetRpc } from "./budget.ts";

/** A factory as the API lists it: with its breakers (only those not plainly closed with no failures) and its link. */
export type FactoryWithBreakers = FleetFactory;

const withBreakers = <F extends Factory>(sql: SqlStorage, f: F, now: number) => ({
  ...f,
  breakers: breakersOf(sql, f.id, now),
});

export abstract class BreakerRpc extends BudgetRpc {
  override async listFactories(productId: string) {
    return this.units.run(productId, (tx): FactoryWithBreakers[] => {
      const linked = withLinks(tx.sql, listFactories(tx.sql, tx.now), linkedFactoryIds(this.ctx));
      return linked.map((f) => withBreakers(tx.sql, f, tx.now));
    });
  }

  override async getFactory(productId: string, factoryId: string) {
    return this.units.run(productId, (tx) => this.oneFactory(tx.sql, factoryId, tx.now));
  }

  /** One factory as the fleet view shows it, with its link read from its own sockets (by tag). */
  private oneFactory(sql: SqlStorage, factoryId: string, now: number): FactoryWithBreakers {
    return fleetFactory(this.ctx, sql, requireFactory(sql, factoryId, now), now);
  }

  /** Every breaker that is not plainly closed with no failures (the metrics and the fleet map read these). */
  async listBreakers(productId: string) {
    return this.units.run(productId, (tx) => listBreakers(tx));
  }

  /**
   * An operator releases a quarantined factory (factories/admin `releaseQuarantined`); after the commit its connected
   * agent is told (`active`: factories/standing), then a dispatch pass offers it the queued work.
   */
  async releaseFactory(productId: string, factoryId: string, actor: string, caller: Caller) {
    const outcome = await this.units.runAs(caller, productId, (tx) => {
      const { changed } = releaseQuarantined(tx, factoryId, actor);
      return { ...this.oneFactory(tx.sql, factoryId, tx.now), changed };
    });
    // Already active (`changed: false`): its agent was told when it was released, and nothing new may be dispatched.
    if (outcome.ok && outcome.value.changed) {
      const notice = statusNotice("quarantined", "active", actor); // changed: it was quarantined (else refused)
      if (notice) this.link.notify(factoryId, notice);
      this.link.requestDispatch(); // throttled: a pass that throws is logged, never thrown at this committed release
      await this.units.settle();
    }
    return outcome;
  }

  /**
   * An operator resets the breaker of `factoryId` × `engine` (`*`: the default engine) to closed, in one unit
   * (policies/breaker-reset): `{factoryId, engine, state: "closed", consecutiveFailures: 0, changed}`. A breaker that
   * held jobs bumped the queue version, so the unit itself asks for a dispatch pass at its commit (runtime/units
   * `onMoved`): held jobs are offered at once. Outcome errors: NotFoundError — no such factory; unauthorized —
   * `caller` was retired meanwhile.
   */
  async resetBreaker(productId: string, factoryId: string, engine: string, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => resetFactoryBreaker(tx, factoryId, engine, actor));
  }
}
