/**
 * @module durable-objects/coordinator/rpc/budget
 * The ProductCoordinator's RPC methods for product and per-job budgets (issue 9, part 1–2). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 */
import { PolicyRpc } from "./policy.ts";

export abstract class BudgetRpc extends PolicyRpc {}
