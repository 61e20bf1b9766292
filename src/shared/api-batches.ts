/**
 * @module shared/api-batches
 * What `POST …/jobs:batch` records about a batch and what `GET …/batches/{batchId}` answers (issue 12 item 3):
 * for every item of the batch, whether its job exists yet — so a client that bulk-submitted knows when its jobs
 * exist without listing jobs. Shared by the Worker, the coordinator and the typed client; the answers' zod schemas
 * (for the OpenAPI document) are at the end, each checked to infer exactly its type.
 */
import { z } from "zod";

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
  /**
   * Why a rejected item was refused (a problem `code`: invalid_manifest, conflict, payload_too_large, unavailable —
   * not queued, or its message dead-lettered: resend it).
   */
  code?: string;
}

/**
 * An item's state now: `created` once its job exists, `existing` when its job was already there as the batch came
 * (the item sent again: a single submit's `existing`), `queued` until then, `rejected` for good — except code
 * `unavailable` (not queued, or its message dead-lettered: resend it), which turns `created` if its job is made after
 * all (a redrive of the dead letter, or a resend under the same key), or `conflict` if another request takes its key.
 */
export interface BatchItemView {
  index: number;
  key?: string;
  status: "created" | "existing" | "queued" | "rejected";
  jobId?: string;
  code?: string;
  /** The earlier item with this item's key (core/batch-repeats): both name one job. */
  repeatOf?: number;
}

export interface BatchView {
  id: string;
  /** When the batch was accepted (ms epoch). */
  createdAt: number;
  /** Items in the request, rejected ones included. */
  total: number;
  created: number;
  /** Items whose job was already there as the batch came (sent again). */
  existing: number;
  queued: number;
  rejected: number;
  /** The jobs the created and queued items name: fewer than their count when items repeat an earlier item's key. */
  jobs: number;
  items: BatchItemView[];
  /** No item is still queued: every job the batch will ever create exists. */
  done: boolean;
}

/**
 * 1 KiB of UTF-8: the most a refused item's `detail` in the batch answer weighs, the "…" that marks a cut included.
 * Room for a conflict naming an 800-byte key; a manifest's refusal echoes up to 20 issues of 256 bytes each
 * (core/bytes ISSUES_ECHOED), and 10,000 items of those made a 2 MB batch answer 45 MB, built whole in the Worker's
 * memory. The first problem is kept (worker/bulk-items `refusal`).
 */
export const MAX_ITEM_DETAIL_BYTES = 1024;

/**
 * 8 MiB: the most a `jobs:batch` request body may weigh (UTF-8 bytes of its JSON); past it, 413 `payload_too_large`
 * before an item is read. Shared so the CLI refuses a batch this large before sending it (cli/batch-input).
 */
export const MAX_BATCH_BYTES = 8 * 1024 * 1024;

/** An item that repeats an earlier item's key, and so names its job: identical keyless items share a content key. */
const REPEAT_OF = z
  .number()
  .int()
  .describe("the index of the earlier item with this item's key: both name one job (core/batch-repeats)");

/**
 * `POST …/jobs:batch` (202): the items sent to the queue (`queued`) or whose job already exists (`exists`), and the
 * refused ones, each with its own HTTP status and problem code. (worker/routes/bulk keeps this type to itself.)
 */
export const BatchAcceptedSchema = z.object({
  batchId: z.string(),
  accepted: z.number().int().describe("items queued or answered with their existing job"),
  jobs: z
    .number()
    .int()
    .describe("the jobs those items name: fewer than `accepted` when items repeat an earlier item's key"),
  idempotencyKeys: z.array(z.string()),
  items: z.array(
    z.object({
      index: z.number().int(),
      idempotencyKey: z.string(),
      status: z.enum(["queued", "exists"]),
      jobId: z.string().optional(),
      repeatOf: REPEAT_OF.optional(),
    }),
  ),
  rejected: z.array(
    z.object({
      index: z.number().int(),
      status: z.number().int().describe("the HTTP status this item alone would have had"),
      code: z.string(),
      detail: z
        .string()
        .describe(
          `why this item was refused: at most ${MAX_ITEM_DETAIL_BYTES} bytes of UTF-8, cut between characters and ` +
            "marked … when longer (its first problem kept)",
        ),
      idempotencyKey: z.string().optional(),
    }),
  ),
});

/** The 202 answer of `POST …/jobs:batch`, as the typed client returns it (cli/commands/batch-submit). */
export type BatchAccepted = z.output<typeof BatchAcceptedSchema>;

/** `GET …/batches/{batchId}`. */
export const BatchViewSchema = z.object({
  id: z.string(),
  createdAt: z.number().int().describe("ms epoch"),
  total: z.number().int(),
  created: z.number().int().describe("items whose job this batch made"),
  existing: z
    .number()
    .int()
    .describe("items whose job was already there as the batch came (sent again): `existing`, as a single submit says"),
  queued: z.number().int(),
  rejected: z.number().int(),
  jobs: z
    .number()
    .int()
    .describe(
      "the jobs the created, existing and queued items name: fewer than their count when items repeat an earlier key",
    ),
  items: z.array(
    z.object({
      index: z.number().int(),
      key: z.string().optional(),
      status: z.enum(["created", "existing", "queued", "rejected"]),
      jobId: z.string().optional(),
      code: z.string().optional(),
      repeatOf: REPEAT_OF.optional(),
    }),
  ),
  done: z.boolean(),
});

// A compile error unless the schema infers exactly BatchView (and BatchView exactly the schema).
export const BATCH_VIEW_MATCHES: [BatchView] extends [z.output<typeof BatchViewSchema>]
  ? [z.output<typeof BatchViewSchema>] extends [BatchView]
    ? true
    : false
  : false = true;
