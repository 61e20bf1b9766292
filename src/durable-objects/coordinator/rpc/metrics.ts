/**
 * @module durable-objects/coordinator/rpc/metrics
 * The ProductCoordinator's RPC methods for metrics and stats (issue 9, part 9). One layer of the class chain
 * (rpc/fleet ← rpc/policy ← rpc/budget ← rpc/breakers ← rpc/alerts ← rpc/lessons ← rpc/metrics ← rpc/batches ← rpc/routing ← rpc/work ← ProductCoordinator):
 * each method is one atomic unit over a store module; it adds only what must follow the commit.
 */
import { linkedFactoryIds } from "../factories/fleet-view.ts";
import { metricsSnapshot, statsSnapshot } from "../policies/metrics.ts";
import { LessonRpc } from "./lessons.ts";

export abstract class MetricsRpc extends LessonRpc {
  /** Queue depth, seats, dispatch latency, counters, breakers, budget, alerts, factory success (policies/metrics). */
  async metrics(productId: string) {
    return this.units.run(productId, (tx) => metricsSnapshot(tx, linkedFactoryIds(this.ctx)));
  }

  /** Counts by stage from the stage index, with the queue version: the cheapest read a dashboard can poll. */
  async stats(productId: string) {
    return this.units.run(productId, (tx) => statsSnapshot(tx));
  }
}
