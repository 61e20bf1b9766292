/**
 * @module durable-objects/coordinator/jobs/batch-refs
 * What the bulk route asks before it queues a batch: which items name jobs that make them unsubmittable now — a
 * dep that does not exist or ended without shipping (and `depsMode` has no other to wait for), a parent that does
 * not exist or can no longer take children. The same rules jobs/submit applies when the queue delivers the item
 * (it still does: the product can change in between), asked up front so such an item is refused in the route's
 * answer instead of being answered `queued` and rejected later. Reads only.
 *
 * Batch-wide, as the queue will deliver the items (in order, each counted against what the ones before it made):
 * items naming one parent count together against its MAX_CHILDREN_PER_PARENT, so the first item past the limit is
 * refused here (each item checked alone was answered `queued` and rejected later); a sound item's edges count for
 * the items after it, so two items that close a cycle together are refused too. And the cost is bounded by the
 * graph, not by graph × items: the cycle check shares what it learns across the batch (jobs/batch-reach).
 */
import { failedDep, namedCycle } from "../../../core/dag.ts";
import { DomainError, type ErrorCode } from "../../../core/errors.ts";
import type { DepsMode } from "../../../core/model.ts";
import { checkParent } from "../dag/children.ts";
import { depStages } from "../dag/dependents.ts";
import type { Tx } from "../runtime/tx.ts";
import { ReachMemo } from "./batch-reach.ts";

/** The references of one item: its deps (job ids), their mode, and its parent if it names one. */
export interface ItemRefs {
  deps: string[];
  depsMode: DepsMode;
  parentId?: string;
}

/** Why an item cannot be submitted as things stand, as the problem its submission would raise. */
export type RefRefusal = { code: ErrorCode; message: string };

/**
 * Per item, in order: null when its references are sound now, else the refusal jobs/submit would give it —
 * `validation_failed` (unknown or dead dep, unknown parent, too many children counting the batch's earlier sound
 * items for the same parent, a cycle: message `dependency cycle: (this job) → … → (this job)`), `illegal_transition`
 * (a parent that is running or done). Reads at most two rows per job reachable from the items' deps, plus one per
 * dep and two per parent of each item. `reach`: the memo the cycle checks share (a test passes its own to count).
 */
export function checkItemRefs(
  tx: Tx,
  items: readonly ItemRefs[],
  reach: ReachMemo = new ReachMemo(tx.sql),
): Array<RefRefusal | null> {
  // One search from the deps of every item under a parent, made when the first such item needs it.
  let prepared = false;
  const taken = new Map<string, number>(); // parent id → sound items of this batch before this one
  return items.map((item) => {
    const stages = depStages(tx.sql, item.deps);
    const missing = item.deps.filter((_, i) => stages[i] === undefined);
    if (missing.length > 0) {
      return { code: "validation_failed", message: `unknown deps in product ${tx.productId}: ${missing.join(", ")}` };
    }
    const dead = failedDep(
      item.depsMode,
      item.deps.map((id, i) => ({ id, stage: stages[i] })),
    );
    if (dead)
      return { code: "validation_failed", message: `dependency ${dead.depId} is ${dead.depStage}: it can never ship` };
    if (item.parentId === undefined) return null;
    try {
      const before = taken.get(item.parentId) ?? 0;
      const { parent } = checkParent(tx, item.parentId, before + 1);
      if (!prepared) {
        const underParents = items.filter((i) => i.parentId !== undefined);
        reach.prepare(
          underParents.flatMap((i) => i.deps),
          new Set(underParents.map((i) => i.parentId!)),
        );
        prepared = true;
      }
      for (const dep of item.deps) {
        const path = reach.pathTo(dep, parent.id);
        if (!path) continue;
        const NEW = "(this job)"; // jobs/submit's placeholder for the job not yet created
        const cycle = [NEW, ...path, NEW];
        // Named within bounds (core/dag `namedCycle`): per item, and a batch holds up to 10,000 of them.
        return { code: "validation_failed", message: `dependency cycle: ${namedCycle(cycle).text}` };
      }
      taken.set(item.parentId, before + 1);
      reach.addItem(parent.id, item.deps);
      return null;
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      // checkParent's not_found reads "job … not found"; the submission's wording names the field.
      if (err.code === "not_found") {
        return { code: "validation_failed", message: `parent job ${item.parentId} does not exist` };
      }
      // Past the children limit only because of this batch's earlier items: say so, the parent alone has room.
      const ours = taken.get(item.parentId) ?? 0;
      const counted =
        err.code === "validation_failed" && ours > 0 ? ` (${ours} of them earlier items of this batch)` : "";
      return { code: err.code, message: `${err.message}${counted}` };
    }
  });
}
