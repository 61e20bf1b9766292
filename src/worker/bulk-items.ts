/**
 * @module worker/bulk-items
 * The rules one item of a bulk submission (`POST …/jobs:batch`) must pass before anything is queued: a manifest
 * (markdown or JSON) that validates, that is not a composite parent, whose key is its own or one a retry
 * reproduces in any order (`batchItemKey`), and whose JSON fits a dispatch-queue message in UTF-8 bytes. Every refusal is a DomainError for that
 * item alone (its own 4xx in the answer's `rejected`); the others of the batch still go. Deps and a parent that
 * rule an item out as things stand are asked of the coordinator once per batch (`refusedByRefs`). Also the shapes
 * an item's fate takes in the answer and in the batch's record.
 */

import type { z } from "zod";
import { clipUtf8, utf8Bytes } from "../core/bytes.ts";
import { counted } from "../core/counted.ts";
import { DomainError, unwrap } from "../core/errors.ts";
import { parseManifest, validateManifest } from "../core/manifest.ts";
import type { BatchItem } from "../shared/api.ts";
import { type BatchItemRecord, MAX_ITEM_DETAIL_BYTES } from "../shared/api-batches.ts";
import type { SubmitInput } from "../shared/coordinator-rpc.ts";
import { keyConflict, requestHash } from "../shared/request-hash.ts";
import type { AppEnv, Opener } from "./auth.ts";
import { assertJsonWithin } from "./validate.ts";

/**
 * An item that passed: its index, key, the SHA-256 of its normalised request, and the submission to queue; `legacy`
 * for a key under a batch key: where its position key (`batch:<K>:<index>`, stored before keys were by content) is.
 */
export interface CheckedItem {
  index: number;
  key: string;
  hash: string;
  input: SubmitInput;
  legacy?: { prefix: string; n: number };
}

/**
 * The key of the `n`th (0-based) item with request hash `hash` (64 hex) of a batch sent under Idempotency-Key
 * `batchKey`: `batch:<batchKey>:<first 16 hex of hash>.<n>`. By content, not position: keyed `batch:<K>:<index>`, a
 * batch sent again with one more file sorting first shifted every index — each file already sent met another's key
 * (409) and the last made a second job. `n` keeps identical items two jobs, as core/batch-repeats says. The `.`
 * makes it no position key: that one ends in `:<digits>`, and no `:` is after the batch key here. 64 bits of the
 * hash: two items that share them differ in their stored full hash, a 409 — never one job for both.
 */
export const batchItemKey = (batchKey: string, hash: string, n: number): string =>
  `batch:${batchKey}:${hash.slice(0, 16)}.${n}`;

/**
 * Checks item `index` of a batch. `batchKey`: the batch's Idempotency-Key, which keys an item without its own by
 * its content and occurrence (`batchItemKey`; `repeats`, request hash → the items of this batch keyed so far with
 * it, is counted on); without either, the key is `content:<hash>`. `maxBytes`: the most its JSON (key included) may
 * weigh — what is left of one queue message beside the envelope (queues/messages `maxItemBytes`).
 * @throws DomainError `invalid_manifest` (400) for a bad manifest, `validation_failed` (400) for a composite
 *   parent (`children`, or `kind: composite`), `payload_too_large` (413) past `maxBytes`
 */
export function checkBatchItem(
  item: z.infer<typeof BatchItem>,
  index: number,
  batchKey: string | undefined,
  maxBytes: number,
  repeats: Map<string, number> = new Map(),
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
    const what = children !== undefined ? counted(children.length, "child", "children") : "kind: composite";
    throw new DomainError(
      "validation_failed",
      `item ${index} is a composite job (${what}): bulk submission takes single jobs only — submit the parent ` +
        "through POST …/jobs, or give a queued job children through POST …/jobs/{id}/children",
      { field: `items.${index}.manifest.${children !== undefined ? "children" : "kind"}` },
    );
  }
  const hash = requestHash(input);
  // Made after the manifest's own key rule ran: `batchKey` passed that rule as the header (shared/api-keys).
  const own = input.manifest.idempotencyKey;
  const n = own === undefined && batchKey !== undefined ? (repeats.get(hash) ?? 0) : undefined;
  if (n !== undefined) repeats.set(hash, n + 1);
  const key = own ?? (batchKey !== undefined && n !== undefined ? batchItemKey(batchKey, hash, n) : `content:${hash}`);
  const full = { manifest: { ...input.manifest, idempotencyKey: key }, bodyMd: input.bodyMd };
  assertJsonWithin(`item ${index}`, full, maxBytes);
  const legacy = batchKey !== undefined && n !== undefined ? { prefix: `batch:${batchKey}:`, n } : undefined;
  return { index, key, hash, input: full, ...(legacy ? { legacy } : {}) };
}

/** One item's fate, as the batch answer reports it. */
export type Outcome =
  | { index: number; idempotencyKey: string; status: "queued" | "exists"; jobId?: string }
  | { index: number; status: number; code: string; detail: string; idempotencyKey?: string };

/**
 * An outcome as the batch's record keeps it (coordinator/jobs/batches), with its own request's hash (`hashOf`: item
 * index → hash). Its own, not the hash its key was first queued with: an item refused because an earlier item of the
 * batch holds its key for another request recorded that item's hash, and so read as the same request — which the
 * consumer's redelivery check (jobs/batches `rejectedBefore`) would take for a refusal of the queued item.
 */
export function batchRecord(o: Outcome, hashOf: ReadonlyMap<number, string>): BatchItemRecord {
  const key = o.idempotencyKey;
  const hash = key === undefined ? undefined : hashOf.get(o.index);
  const named = { index: o.index, ...(key !== undefined ? { key } : {}), ...(hash ? { hash } : {}) };
  if (o.status === "queued" || o.status === "exists") {
    return { ...named, status: o.status, ...("jobId" in o && o.jobId ? { jobId: o.jobId } : {}) };
  }
  return { ...named, status: "rejected", code: "code" in o ? o.code : "rejected" };
}

/** The UTF-8 bytes of the "…" core/bytes `clipUtf8` appends to a cut string. */
const ELLIPSIS_BYTES = 3;

/**
 * `text` as a refused item's detail: itself when it fits MAX_ITEM_DETAIL_BYTES of UTF-8, else cut between characters
 * so that it fits with the "…" that marks the cut (clipped to the limit itself, it was 3 bytes over).
 */
export const itemDetail = (text: string): string =>
  utf8Bytes(text) <= MAX_ITEM_DETAIL_BYTES ? text : clipUtf8(text, MAX_ITEM_DETAIL_BYTES - ELLIPSIS_BYTES);

/**
 * A DomainError as an item's refusal: its status, code and detail (at most shared/api-batches MAX_ITEM_DETAIL_BYTES
 * of UTF-8: `itemDetail`), and the key it names if any.
 */
export function refusal(err: DomainError): { status: number; code: string; detail: string; idempotencyKey?: string } {
  const key = err.details?.idempotencyKey;
  return {
    status: err.status,
    code: err.code,
    detail: itemDetail(err.message),
    ...(typeof key === "string" ? { idempotencyKey: key } : {}),
  };
}

/** An item's key and request hash as one map key: the route's decisions are per request under a key. */
export const pairOf = (key: string, hash: string): string => `${hash}:${key}`;

/**
 * What the coordinator's keys say of the batch's checked items, asked once per distinct request under each key
 * (`checkKeys`). Per key: a request whose job exists is answered with it (`exists`); every other request under that
 * key is the 409 naming that job, as is every one under a key another request's job holds; under a key no job holds
 * yet, the first request goes on (`unknown`, to be queued) and any other is the 409 naming that first item. All of a
 * key's requests are asked, not only its first item's: when the first was a changed one, the job's own request later
 * in the batch was refused as "used by item 0", though its job existed.
 * `caller`: the request's credential ("admin" or its token hash), checked live as the keys are read: a token revoked while
 * the batch's body streamed is refused here (401), before anything is recorded.
 * @returns `known`: pairOf(key, hash) → outcome; `unknown`: key → the request to queue
 */
export async function judgeKeys(
  coordinator: AppEnv["Variables"]["coordinator"],
  productId: string,
  checked: readonly CheckedItem[],
  caller: Opener,
): Promise<{ known: Map<string, Outcome>; unknown: Map<string, { index: number; input: SubmitInput }> }> {
  const firsts = new Map<string, CheckedItem>(); // pairOf → its first item
  for (const c of checked) if (!firsts.has(pairOf(c.key, c.hash))) firsts.set(pairOf(c.key, c.hash), c);
  const asked = [...firsts.values()];
  const verdicts =
    asked.length === 0
      ? []
      : await unwrap(
          coordinator.checkKeys(
            productId,
            asked.map(({ key, hash, legacy }) => ({ key, hash, ...(legacy ? { legacy } : {}) })),
            caller,
          ),
        );
  const holder = new Map<string, string>(); // key → the job holding it
  asked.forEach((c, i) => {
    const v = verdicts[i];
    if (v && v.verdict !== "new") holder.set(c.key, v.jobId);
  });
  const known = new Map<string, Outcome>();
  const unknown = new Map<string, { index: number; input: SubmitInput }>();
  const firstOfKey = new Map<string, CheckedItem>();
  asked.forEach((c, i) => {
    const jobId = holder.get(c.key);
    const pair = pairOf(c.key, c.hash);
    if (verdicts[i]?.verdict === "exists") {
      // A job found by its position key (a batch stored before keys were by content) is answered with that key.
      const held = verdicts[i].key ?? c.key;
      known.set(pair, { index: c.index, idempotencyKey: held, status: "exists", jobId: verdicts[i].jobId });
    } else if (jobId !== undefined) {
      known.set(pair, { index: c.index, ...refusal(keyConflict(c.key, jobId)) });
    } else {
      const first = firstOfKey.get(c.key);
      if (!first) {
        firstOfKey.set(c.key, c);
        unknown.set(c.key, { index: c.index, input: c.input });
        return;
      }
      const detail = `idempotency key "${c.key}" is used by item ${first.index} of this batch for a different request`;
      known.set(pair, { index: c.index, ...refusal(new DomainError("conflict", detail, { idempotencyKey: c.key })) });
    }
  });
  return { known, unknown };
}

/**
 * Asks the coordinator about the items of `fresh` that name deps or a parent (none asked when no item does) and
 * takes each refused one out of `fresh`. The route passes only keys the coordinator does not know yet: a known key
 * answers with its job (or 409) whatever its refs say now, as a single submit's retry does.
 * @returns idempotency key → the refused item's outcome
 */
export async function refusedByRefs(
  coordinator: AppEnv["Variables"]["coordinator"],
  productId: string,
  fresh: Map<string, { index: number; input: SubmitInput }>,
): Promise<Map<string, Outcome>> {
  const refused = new Map<string, Outcome>();
  const asking = [...fresh].filter(([, e]) => e.input.manifest.deps.length > 0 || e.input.manifest.parentId);
  if (asking.length === 0) return refused;
  const refs = asking.map(([, e]) => {
    const m = e.input.manifest;
    return { deps: m.deps, depsMode: m.depsMode, parentId: m.parentId };
  });
  const verdicts = await unwrap(coordinator.checkItemRefs(productId, refs));
  asking.forEach(([key, e], i) => {
    const v = verdicts[i];
    if (!v) return;
    refused.set(key, { index: e.index, ...refusal(new DomainError(v.code, v.message, { idempotencyKey: key })) });
    fresh.delete(key);
  });
  return refused;
}
