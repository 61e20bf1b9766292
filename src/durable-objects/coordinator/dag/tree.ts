/**
 * @module durable-objects/coordinator/dag/tree
 * A job's subtree for `GET …/jobs/{id}/tree`: the job, its children (composite parents), theirs, and so on — each
 * node with its stage, deps and waiting reason — read breadth-first within bounds so one request stays small.
 */

import { NotFoundError } from "../../../core/errors.ts";
import type { Job } from "../../../core/model.ts";
import type { WaitingReason } from "../../../core/waiting-reason.ts";
import type { TreeNode } from "../../../shared/responses.ts";
import { withLimit } from "../../sql-statements.ts";
import { type FleetSnapshot, fleetSnapshot, waitingReasonFor } from "../jobs/waiting.ts";
import type { Tx } from "../runtime/tx.ts";

/** 8 levels: composites nest a few deep in practice (epic → story → task); deeper is read from a lower node. */
export const MAX_TREE_DEPTH = 8;
/** 1000 nodes: a few hundred KB of JSON, one screen of the dashboard's DAG view is already far less. */
export const MAX_TREE_NODES = 1000;

/**
 * The subtree rooted at `rootId`, breadth-first (children oldest first). Past MAX_TREE_DEPTH levels below the
 * root, or once MAX_TREE_NODES nodes are in, a node's remaining children are left out and that node carries
 * `truncated: true`. Each node's document is read without its body (NodeJob), its children in one statement.
 * Throws `not_found` for an unknown root.
 */
export function jobTree(tx: Tx, rootId: string, wsReady: ReadonlySet<string> = new Set()): { root: TreeNode } {
  // One read of the fleet for every node: the waiting reasons of a tree cost what one job's does, plus its deps.
  const fleet = fleetSnapshot(tx, wsReady);
  const nodeOf = (job: NodeJob): TreeNode => treeNode(job, nodeWaiting(tx, job, fleet));
  const [rootJob] = nodeJobs(tx.sql, ROOT_SQL, rootId);
  if (!rootJob) throw new NotFoundError("job", rootId);
  const root = nodeOf(rootJob);
  let count = 1;
  let level: TreeNode[] = [root];
  for (let depth = 0; level.length > 0; depth++) {
    const next: TreeNode[] = [];
    for (const node of level) {
      // Past the bounds, one child is enough to say the node was cut; within them, as many as may still come in.
      const cut = depth >= MAX_TREE_DEPTH || count >= MAX_TREE_NODES;
      const jobs = nodeJobs(tx.sql, withLimit(CHILDREN_SQL, cut ? 1 : MAX_TREE_NODES - count + 1), node.id);
      if (jobs.length === 0) continue;
      if (cut) {
        node.truncated = true;
        continue;
      }
      for (const job of jobs) {
        if (count >= MAX_TREE_NODES) {
          node.truncated = true;
          break;
        }
        const child = nodeOf(job);
        node.children.push(child);
        next.push(child);
        count++;
      }
    }
    level = next;
  }
  return { root };
}

/** A job as a tree reads it: its document without its body, which no node shows (a body may be 256 KiB). */
type NodeJob = Omit<Job, "bodyMd">;

/** The root's document, body left out by SQLite (never parsed nor copied into the isolate). */
const ROOT_SQL = "SELECT json_remove(doc, '$.bodyMd') AS doc FROM jobs WHERE id = ?";
/** A node's children's documents, oldest first, bodies left out; along the parent index, the limit written in. */
const CHILDREN_SQL = `SELECT json_remove(doc, '$.bodyMd') AS doc FROM jobs WHERE parent_id = ?
  ORDER BY created_at, id LIMIT {limit}`;

function nodeJobs(sql: SqlStorage, query: string, id: string): NodeJob[] {
  return sql
    .exec<{ doc: string }>(query, id)
    .toArray()
    .map((r) => JSON.parse(r.doc) as NodeJob);
}

function treeNode(job: NodeJob, waitingReason: WaitingReason | null): TreeNode {
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
export function nodeWaiting(tx: Tx, job: NodeJob, fleet: FleetSnapshot): WaitingReason | null {
  return waitingReasonFor(tx, job, fleet);
}
