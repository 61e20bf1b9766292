/**
 * @module durable-objects/coordinator/rpc/breakers
 * The ProductCoordinator's RPC methods for circuit breakers and quarantine (issue 9, parts 3–4). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 */
import { BudgetRpc } from "./budget.ts";

export abstract class BreakerRpc extends BudgetRpc {}
