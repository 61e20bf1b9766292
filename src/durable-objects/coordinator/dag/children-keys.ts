/**
 * @module durable-objects/coordinator/dag/children-keys
 * An `Idempotency-Key` for `POST …/jobs/{id}/children`, so a client that retries after a lost answer (a timeout, a
 * dropped connection) gets the children it made instead of paying for a second set of agent runs.
 *
 * Each child the keyed request makes carries the key `children:<parentId>:<key>:<index>` (its position in the
 * request), stored like any job's key (coordinator/jobs/idempotency: with the SHA-256 of the child's normalised
 * request, and found through the job row when the key row was pruned), as `jobs:batch` derives
 * `batch:<key>:<index>` once did (it keys by content now: worker/bulk-items `batchItemKey`). So no table of its own, and a replay is one key read per child:
 *   - no child 0 under the key → a new request (`undefined`: make the children);
 *   - every child there, none past the last, each with the same request hash → the same request: the children as
 *     they are now (the parent may have started since: a replay never re-runs the guard that would now refuse it);
 *   - anything else → 409 `conflict` naming the key and the parent, nothing changed.
 */
import type { ChildManifest, Job } from "../../../core/model.ts";
import type { SubmitInput } from "../../../shared/coordinator-rpc.ts";
import { keyConflict, requestHash } from "../../../shared/request-hash.ts";
import { findKey, type KeyRecord } from "../jobs/idempotency.ts";
import { requireJob } from "../jobs/rows.ts";
import type { Tx } from "../runtime/tx.ts";

/** The key child `index` of a keyed children request is stored under. */
export function childKey(parentId: string, requestKey: string, index: number): string {
  return `children:${parentId}:${requestKey}:${index}`;
}

/**
 * What child `k` is submitted as (dag/children), and so what its key's hash covers: its manifest with its deps
 * resolved to job ids (a sibling `#j` to `idOf(j)`), the parent, its key; its body.
 */
export function childInput(
  child: ChildManifest,
  deps: readonly string[],
  parentId: string,
  idempotencyKey: string | undefined,
): SubmitInput {
  const { bodyMd, ...manifest } = child;
  const keyed = idempotencyKey === undefined ? {} : { idempotencyKey };
  return { manifest: { ...manifest, deps: [...deps], parentId, ...keyed }, bodyMd: bodyMd ?? "" };
}

/**
 * The first answer to this keyed request, if it was made before.
 * @returns undefined for a new key; else the parent and the children in request order, as stored now
 * @throws DomainError conflict (409) — the key made a different set of children (another count, another child)
 */
export function replayChildren(
  tx: Tx,
  parentId: string,
  children: readonly ChildManifest[],
  requestKey: string,
): { parent: Job; children: Job[] } | undefined {
  const keyOf = (k: number) => childKey(parentId, requestKey, k);
  if (!findKey(tx.sql, keyOf(0))) return undefined;
  const seen: KeyRecord[] = [];
  for (let k = 0; k < children.length; k++) {
    const record = findKey(tx.sql, keyOf(k));
    if (!record) throw keyConflict(requestKey, parentId); // the first request had fewer children
    seen.push(record);
  }
  if (findKey(tx.sql, keyOf(children.length))) throw keyConflict(requestKey, parentId); // … or more
  children.forEach((child, k) => {
    const deps = child.deps.map((d) => (d.startsWith("#") ? (seen[Number(d.slice(1))]?.jobId ?? d) : d));
    if (requestHash(childInput(child, deps, parentId, keyOf(k))) !== seen[k]!.requestHash) {
      throw keyConflict(requestKey, parentId);
    }
  });
  return { parent: requireJob(tx.sql, parentId), children: seen.map((s) => requireJob(tx.sql, s.jobId)) };
}
