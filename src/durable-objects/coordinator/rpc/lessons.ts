/**
 * @module durable-objects/coordinator/rpc/lessons
 * The ProductCoordinator's RPC methods for the lessons journal (issue 9, part 7). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 */
import { AlertRpc } from "./alerts.ts";

export abstract class LessonRpc extends AlertRpc {}
