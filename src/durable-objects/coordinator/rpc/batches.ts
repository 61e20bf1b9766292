/**
 * @module durable-objects/coordinator/rpc/batches
 * The ProductCoordinator's RPC methods for bulk batches (issue 12 item 3): the bulk route records a batch before it
 * answers, and a client reads it back to learn when its jobs exist (jobs/batches). One layer of the class chain
 * (… ← rpc/metrics ← rpc/batches ← ProductCoordinator); each method is one atomic unit over the store module.
 */
import type { BatchItemRecord } from "../../../shared/api-batches.ts";
import type { Caller } from "../access/tokens.ts";
import { readBatch } from "../jobs/batch-read.ts";
import { checkItemRefs, type ItemRefs } from "../jobs/batch-refs.ts";
import { recordBatch, rejectUndeliveredMany, settleSends } from "../jobs/batches.ts";
import { MetricsRpc } from "./metrics.ts";

export abstract class BatchRpc extends MetricsRpc {
  /**
   * Records what the bulk route decided for each item of batch `batchId` (before it answers the client). `sending`:
   * the route confirms the sends of its `queued` items afterwards (`settleSends`); absent, the batch is confirmed now.
   * `caller`: the request's credential, checked live in this unit (runtime/units `runAs`) — the last step before the
   * items are queued, so a token revoked while a batch's body streamed queues nothing.
   */
  async recordBatch(
    productId: string,
    batchId: string,
    items: BatchItemRecord[],
    sending: boolean | undefined,
    caller: Caller,
  ) {
    return this.units.runAs(caller, productId, (tx) => recordBatch(tx, batchId, items, sending === true));
  }

  /**
   * The route's sends for batch `batchId` are done: `unsent` items (the queue refused their message) are `rejected`
   * with their code, and the batch is confirmed (jobs/batches `settleSends`).
   */
  async settleSends(productId: string, batchId: string, unsent: BatchItemRecord[]) {
    return this.units.run(productId, (tx) => settleSends(tx, batchId, unsent));
  }

  /**
   * The items under `keys` of each bulk batch whose dispatch message was dead-lettered, never to be delivered:
   * `rejected` (`unavailable`) unless a job already holds the key (jobs/batches `rejectUndelivered`), for the
   * dead-lettered messages of one queue batch, grouped by bulk batch, in one unit: the
   * dead-letter consumer's one call per product per batch (worker/queues/batch-releases), where it had made one per
   * message — 100 coordinator calls for a dead-letter batch of 100 bulk messages.
   */
  async rejectUndeliveredMany(productId: string, batches: Array<{ batchId: string; keys: string[] }>) {
    return this.units.run(productId, (tx) => rejectUndeliveredMany(tx, batches));
  }

  /**
   * Per item, null when the jobs its deps and parent name allow submitting it now, else the refusal (code,
   * message) its submission would meet (jobs/batch-refs). Reads only.
   */
  async checkItemRefs(productId: string, items: ItemRefs[]) {
    return this.units.run(productId, (tx) => checkItemRefs(tx, items));
  }

  /** The batch with each item's job, if it exists yet; `not_found` for an unknown or pruned batch. */
  async getBatch(productId: string, batchId: string) {
    return this.units.run(productId, (tx) => readBatch(tx, batchId));
  }
}
