/**
 * @module shared/api-batches
 * What `POST …/jobs:batch` records about a batch and what `GET …/batches/{batchId}` answers (issue 12 item 3):
 * for every item of the batch, whether its job exists yet — so a client that bulk-submitted knows when its jobs
 * exist without listing jobs. Shared by the Worker, the coordinator and the typed client.
 */

/** One item as the bulk route decided it, recorded by the coordinator before the route answers. */
export interface BatchItemRecord {
  /** 0-based position in the request. */
  index: number;
  /** The item's idempotency key (absent only for an item refused before it had one). */
  key?: string;
  /** SHA-256 (hex) of the normalised request: tells the item's own job from another request's under its key. */
  hash?: string;
  /** `queued`: sent to the dispatch queue; `exists`: its job already existed; `rejected`: never queued. */
  status: "queued" | "exists" | "rejected";
  jobId?: string;
  /** Why a rejected item was refused (a problem `code`: invalid_manifest, conflict, payload_too_large, unavailable). */
  code?: string;
}

/** An item's state now: `created` once its job exists, `queued` until then, `rejected` for good. */
export interface BatchItemView {
  index: number;
  key?: string;
  status: "created" | "queued" | "rejected";
  jobId?: string;
  code?: string;
}

export interface BatchView {
  id: string;
  /** When the batch was accepted (ms epoch). */
  createdAt: number;
  /** Items in the request, rejected ones included. */
  total: number;
  created: number;
  queued: number;
  rejected: number;
  items: BatchItemView[];
  /** No item is still queued: every job the batch will ever create exists. */
  done: boolean;
}
