/**
 * @module durable-objects/coordinator/rpc/budget
 * The ProductCoordinator's RPC methods for product and per-job budgets (issue 9, part 1–2). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← rpc/batches ← rpc/routing ← rpc/work ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 *
 * Spend itself is not an RPC: it accrues inside the report units (jobs/report, factories/frames → policies/run-spend).
 * Cancels a `stop` queues are pushed after every commit (runtime/composition).
 */
import type { BudgetBody } from "../../../shared/api-budget.ts";
import type { Caller } from "../access/tokens.ts";
import { pauseBudget, readBudget, resumeBudget, setBudget } from "../policies/budget.ts";
import { PolicyRpc } from "./policy.ts";

export abstract class BudgetRpc extends PolicyRpc {
  /** `GET …/budget`: the budget in its current period (rolled over first if a boundary passed); 404 when none. */
  async readBudget(productId: string) {
    return this.units.run(productId, (tx) => readBudget(tx));
  }

  /** `PUT …/budget` (audited): a lower ceiling can pause (and stop) at once, a higher one lift an exhaustion pause. */
  async setBudget(productId: string, input: BudgetBody, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => setBudget(tx, input, actor));
  }

  /** `POST …/budget/pause` (audited): no dispatch until resumed; running jobs finish. */
  async pauseBudget(productId: string, actor: string, caller: Caller) {
    return this.units.runAs(caller, productId, (tx) => pauseBudget(tx, actor));
  }

  /** `POST …/budget/resume` (audited), then a dispatch pass so waiting work moves at once. */
  async resumeBudget(productId: string, actor: string, caller: Caller) {
    const outcome = await this.units.runAs(caller, productId, (tx) => resumeBudget(tx, actor));
    if (outcome.ok) this.link.requestDispatch(); // throttled: a pass that throws is logged, not this resume's answer
    return outcome;
  }
}
