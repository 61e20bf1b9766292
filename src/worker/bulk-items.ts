/**
 * @module worker/bulk-items
 * The rules one item of a bulk submission (`POST …/jobs:batch`) must pass before anything is queued: a manifest
 * (markdown or JSON) that validates, that is not a composite parent, whose key is its own or one a retry
 * reproduces, and whose JSON fits a dispatch-queue message in UTF-8 bytes. Every refusal is a DomainError for that
 * item alone (its own 4xx in the answer's `rejected`); the others of the batch still go.
 */

import type { z } from "zod";
import { DomainError } from "../core/errors.ts";
import { parseManifest, validateManifest } from "../core/manifest.ts";
import type { BatchItem } from "../shared/api.ts";
import type { SubmitInput } from "../shared/coordinator-rpc.ts";
import { requestHash } from "../shared/request-hash.ts";
import { assertJsonWithin } from "./validate.ts";

/** An item that passed: its key, the SHA-256 of its normalised request, and the submission to queue. */
export interface CheckedItem {
  key: string;
  hash: string;
  input: SubmitInput;
}

/**
 * Checks item `index` of a batch. `batchKey`: the batch's Idempotency-Key, which keys an item without its own as
 * `batch:<batchKey>:<index>`; without either, the key is `content:<hash>`. `maxBytes`: the most its JSON (key
 * included) may weigh — what is left of one queue message beside the envelope (queues/messages `maxItemBytes`).
 * @throws DomainError `invalid_manifest` (400) for a bad manifest, `validation_failed` (400) for a composite
 *   parent (`children`, or `kind: composite`), `payload_too_large` (413) past `maxBytes`
 */
export function checkBatchItem(
  item: z.infer<typeof BatchItem>,
  index: number,
  batchKey: string | undefined,
  maxBytes: number,
): CheckedItem {
  const input =
    "markdown" in item
      ? parseManifest(item.markdown)
      : { manifest: validateManifest(item.manifest), bodyMd: item.bodyMd };
  // A parent and its children are one unit (coordinator/dag/children), which a queue delivering items one message
  // at a time cannot give: refused here, before anything is queued, instead of by the consumer after a 202. A
  // parent declared without its children (`kind: composite`) is refused too: it would wait in `blocked` for
  // children no one is told to give it.
  const { children, kind } = input.manifest;
  if (children !== undefined || kind === "composite") {
    const what = children !== undefined ? `${children.length} children` : "kind: composite";
    throw new DomainError(
      "validation_failed",
      `item ${index} is a composite job (${what}): bulk submission takes single jobs only — submit the parent ` +
        "through POST …/jobs, or give a queued job children through POST …/jobs/{id}/children",
      { field: `items.${index}.manifest.${children !== undefined ? "children" : "kind"}` },
    );
  }
  const hash = requestHash(input);
  const key =
    input.manifest.idempotencyKey ?? (batchKey !== undefined ? `batch:${batchKey}:${index}` : `content:${hash}`);
  const full = { manifest: { ...input.manifest, idempotencyKey: key }, bodyMd: input.bodyMd };
  assertJsonWithin(`item ${index}`, full, maxBytes);
  return { key, hash, input: full };
}
