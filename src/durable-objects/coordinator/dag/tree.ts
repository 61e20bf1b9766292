/**
 * @module durable-objects/coordinator/dag/tree
 * A job's subtree for `GET …/jobs/{id}/tree`: the job, its children (composite parents), theirs, and so on — each
 * node with its stage, deps and waiting reason — read breadth-first within bounds so one request stays small.
 */
import type { Job } from "../../../core/model.ts";
import type { WaitingReason } from "../../../core/waiting-reason.ts";
import type { TreeNode } from "../../../shared/responses.ts";
import { withLimit } from "../../sql-statements.ts";
import { requireJob } from "../jobs/rows.ts";
import { type FleetSnapshot, fleetSnapshot, waitingReasonFor } from "../jobs/waiting.ts";
import type { Tx } from "../runtime/tx.ts";

/** 8 levels: composites nest a few deep in practice (epic → story → task); deeper is read from a lower node. */
export const MAX_TREE_DEPTH = 8;
/** 1000 nodes: a few hundred KB of JSON, one screen of the dashboard's DAG view is already far less. */
export const MAX_TREE_NODES = 1000;

/**
 * The subtree rooted at `rootId`, breadth-first (children oldest first). Past MAX_TREE_DEPTH levels below the
 * root, or once MAX_TREE_NODES nodes are in, a node's remaining children are left out and that node carries
 * `truncated: true`. Throws `not_found` for an unknown root.
 */
export function jobTree(tx: Tx, rootId: string, wsReady: ReadonlySet<string> = new Set()): { root: TreeNode } {
  // One read of the fleet for every node: the waiting reasons of a tree cost what one job's does, plus its deps.
  const fleet = fleetSnapshot(tx, wsReady);
  const nodeOf = (job: Job): TreeNode => treeNode(job, nodeWaiting(tx, job, fleet));
  const root = nodeOf(requireJob(tx.sql, rootId));
  let count = 1;
  let level: TreeNode[] = [root];
  for (let depth = 0; level.length > 0; depth++) {
    const next: TreeNode[] = [];
    for (const node of level) {
      const ids = childIds(tx.sql, node.id, MAX_TREE_NODES - count + 1);
      if (ids.length === 0) continue;
      if (depth >= MAX_TREE_DEPTH || count >= MAX_TREE_NODES) {
        node.truncated = true;
        continue;
      }
      for (const id of ids) {
        if (count >= MAX_TREE_NODES) {
          node.truncated = true;
          break;
        }
        const child = nodeOf(requireJob(tx.sql, id));
        node.children.push(child);
        next.push(child);
        count++;
      }
    }
    level = next;
  }
  return { root };
}

function childIds(sql: SqlStorage, parentId: string, limit: number): string[] {
  return sql
    .exec<{ id: string }>(
      withLimit("SELECT id FROM jobs WHERE parent_id = ? ORDER BY created_at, id LIMIT {limit}", Math.max(1, limit)),
      parentId,
    )
    .toArray()
    .map((r) => r.id);
}

function treeNode(job: Job, waitingReason: WaitingReason | null): TreeNode {
  return {
    id: job.id,
    title: job.title,
    stage: job.stage,
    kind: job.kind,
    priority: job.priority,
    deps: job.deps,
    waitingReason,
    children: [],
  };
}

/** A node's waiting reason: the one rule (core/waiting via coordinator/jobs/waiting), over the tree's fleet snapshot. */
export function nodeWaiting(tx: Tx, job: Job, fleet: FleetSnapshot): WaitingReason | null {
  return waitingReasonFor(tx, job, fleet);
}
