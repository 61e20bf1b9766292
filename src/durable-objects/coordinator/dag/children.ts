/**
 * @module durable-objects/coordinator/dag/children
 * CHILDREN — contract (composite jobs, SPEC §6 DAG):
 *   inputs: a parent job id, its children's manifests (deps may name a sibling by `#<index>`, its 0-based position
 *           in the same request), the operator, `now`.
 *   guard:  the parent is `queued` or `blocked` (it has not started, nor ended); at most MAX_CHILDREN_PER_REQUEST
 *           children per request and MAX_CHILDREN_PER_PARENT in all, at most MAX_NESTING_DEPTH levels deep;
 *           every dep exists (or is a sibling in range);
 *           no dependency cycle, checked against the existing edges (deps, and parent → child: a parent waits
 *           on its children), so a child depending on its own parent or ancestor is refused with the cycle named;
 *           a shipped or cancelled job waits on nothing any more (core/dag `endedForGood`), so none closes one.
 *   output: the parent `kind: composite`, waiting in `blocked`; every child created (`parentId` = the parent)
 *           in dependency order, in the same unit; a `job.children` event and a `job.children` audit record.
 *   errors: `illegal_transition` (409) for a parent that is running or done; `ancestor_cancelled` (409) for one
 *           below a composite whose cancel is still cascading (it is next); `conflict` (409) for a blocked one
 *           whose deps can never be met (its settle walk is still to fail it); `validation_failed` (400) for an
 *           unknown dep, a sibling index out of range, a cycle (`details.cycle`:
 *           its first MAX_CYCLE_NAMED ids, and `cycleLength` past that — core/dag `namedCycle`), too many children.
 * A job submitted on its own with `manifest.parentId` is a child like these (jobs/submit): the same guard, and the
 * same parent, composite and blocked, with the same event and audit record.
 */
import { childrenUnderCancelledMessage, MAX_CHILDREN_PER_PARENT, MAX_NESTING_DEPTH } from "../../../core/composite.ts";
import { endedForGood, namedCycle } from "../../../core/dag.ts";
import { DomainError } from "../../../core/errors.ts";
import type { ChildManifest, Job, Stage } from "../../../core/model.ts";
import { moveJob, requireJob, touchJob } from "../jobs/rows.ts";
import { submitJob } from "../jobs/submit.ts";
import { enqueueAudit, enqueueEvent } from "../outbox/records.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { cascadeHold } from "./cancel-subtree.ts";
import { childInput, childKey, replayChildren } from "./children-keys.ts";
import { newCycle } from "./cycle-reach.ts";
import { refuseDoomedParent } from "./dependents.ts";

export interface ChildrenResult {
  parent: Job;
  /** In the order the request listed them. */
  children: Job[];
  /** False when `requestKey` replayed an earlier request: nothing was made, these are its children as they are now. */
  created: boolean;
}

/**
 * Gives `parentId` the children in `children` (already validated by ChildManifestSchema), all in this unit.
 * `requestKey` (the request's `Idempotency-Key`) makes a retry of the same request return its children
 * (dag/children-keys); a different request under it is a 409 `conflict`.
 */
export function addChildren(
  tx: Tx,
  parentId: string,
  children: ChildManifest[],
  actor: string,
  requestKey?: string,
): ChildrenResult {
  const replayed = requestKey === undefined ? undefined : replayChildren(tx, parentId, children, requestKey);
  if (replayed) return { ...replayed, created: false };
  const { parent: found, existing } = checkParent(tx, parentId, children.length);
  let parent = found;
  const refs = children.map((_, k) => `#${k}`);
  const resolve = (dep: string, k: number): string => {
    if (!dep.startsWith("#")) return dep;
    const j = Number(dep.slice(1));
    if (j >= children.length) {
      throw new DomainError(
        "validation_failed",
        `children.${k}.deps: ${dep} names no sibling (${children.length} in this request)`,
        {
          issues: [{ path: `children.${k}.deps`, message: `${dep} is out of range` }],
        },
      );
    }
    return refs[j]!;
  };
  const newEdges = new Map<string, string[]>(children.map((c, k) => [refs[k]!, c.deps.map((d) => resolve(d, k))]));
  newEdges.set(parent.id, refs); // the parent waits on each new child
  assertAcyclic(tx.sql, newEdges, refs);

  parent = adoptChildren(tx, parent);
  const created = new Map<string, Job>();
  for (const k of dependencyOrder(children.length, (k) => newEdges.get(refs[k]!)!, refs)) {
    const deps = newEdges.get(refs[k]!)!.map((d) => created.get(d)?.id ?? d);
    const key = requestKey === undefined ? undefined : childKey(parent.id, requestKey, k);
    // asChild: the whole request's graph was searched once, above
    const { job } = submitJob(tx, childInput(children[k]!, deps, parent.id, key), actor, true);
    created.set(refs[k]!, job);
  }
  const list = refs.map((r) => created.get(r)!);
  announceChildren(tx, parent, list, existing, actor);
  return { parent, children: list, created: true };
}

/**
 * A parent's children so far (`n`, along the parent index), and how many jobs are above it (`depth`: its parent,
 * theirs, …), counted up to `?2` only (core/composite MAX_NESTING_DEPTH): at most that many primary-key reads,
 * in the one statement that counted the children alone.
 */
const PARENT_FACTS_SQL = `SELECT (SELECT COUNT(*) FROM jobs WHERE parent_id = ?1) AS n,
  (WITH RECURSIVE up(id, k) AS (SELECT parent_id, 1 FROM jobs WHERE id = ?1 AND parent_id IS NOT NULL
     UNION ALL SELECT j.parent_id, k + 1 FROM jobs j JOIN up ON j.id = up.id WHERE j.parent_id IS NOT NULL AND k < ?2)
   SELECT COALESCE(MAX(k), 0) FROM up) AS depth`;

/**
 * The guard for giving `parentId` `count` more children, reading only: it is `queued` or `blocked`, not below a cancel
 * still cascading, and stays within MAX_CHILDREN_PER_PARENT and MAX_NESTING_DEPTH. Returns it, and how many children
 * it has already.
 * @throws NotFoundError; DomainError illegal_transition (409) — running or done; ancestor_cancelled (409) — a
 * composite above it is cancelled, its cascade still to reach it; conflict (409) — a blocked parent whose deps can
 * never be met (dependents `refuseDoomedParent`); validation_failed — too many, or too deep
 */
export function checkParent(tx: Tx, parentId: string, count: number): { parent: Job; existing: number } {
  const parent = requireJob(tx.sql, parentId);
  if (parent.stage !== "queued" && parent.stage !== "blocked") {
    throw new DomainError(
      "illegal_transition",
      `job ${parent.id} is ${parent.stage}: only a queued or blocked job can be given children`,
      { jobId: parent.id, from: parent.stage, to: "blocked" },
    );
  }
  // Below a cancel still cascading, the parent is itself about to be cancelled: its new children would be created
  // only to be held and cancelled (answered 201, never run). After the cascade, the parent is cancelled (above).
  const above = cascadeHold(tx.sql)?.(parent);
  if (above !== undefined) {
    throw new DomainError("ancestor_cancelled", childrenUnderCancelledMessage(parent.id, above), {
      jobId: parent.id,
      ancestorId: above,
    });
  }
  refuseDoomedParent(tx.sql, parent); // a dep of it ended: its settle walk is still to fail it
  const { n: existing, depth } = tx.sql
    .exec<{ n: number; depth: number }>(PARENT_FACTS_SQL, parent.id, MAX_NESTING_DEPTH)
    .one();
  if (depth >= MAX_NESTING_DEPTH) {
    throw new DomainError(
      "validation_failed",
      `job ${parent.id} is ${MAX_NESTING_DEPTH} or more levels below its top job: a child of it would pass the ` +
        `limit of ${MAX_NESTING_DEPTH} levels of children; give the work to a job higher up`,
      { issues: [{ path: "parentId", message: `at most ${MAX_NESTING_DEPTH} levels of children` }] },
    );
  }
  if (existing + count > MAX_CHILDREN_PER_PARENT) {
    throw new DomainError(
      "validation_failed",
      `job ${parent.id} has ${existing} children; ${count} more would pass the limit of ${MAX_CHILDREN_PER_PARENT}`,
      { issues: [{ path: "children", message: `at most ${MAX_CHILDREN_PER_PARENT} children per parent` }] },
    );
  }
  return { parent, existing };
}

/** The parent's side of having children (after `checkParent`, once nothing can refuse): composite, and blocked. */
export function adoptChildren(tx: Tx, parent: Job): Job {
  if (parent.stage === "queued") return moveJob(tx, parent, "blocked", asComposite(parent));
  if (parent.kind === "composite") return parent;
  const composite = touchJob(tx, parent, asComposite(parent));
  bumpQueueVersion(tx.sql);
  return composite;
}

/** The `job.children` event on the parent's feed and its audit record, for children just made. */
export function announceChildren(tx: Tx, parent: Job, made: readonly Job[], existing: number, actor: string): void {
  enqueueEvent(tx, parent.id, "job.children", { added: made.map((j) => j.id), total: existing + made.length });
  enqueueAudit(tx, actor, "job.children", parent.id, { added: made.length });
}

function asComposite(job: Job): Partial<Job> {
  return { kind: "composite", manifest: { ...job.manifest, kind: "composite" } };
}

/**
 * Refuses (400 `validation_failed`, `details.cycle`) a dependency cycle closed by any of `newEdges` (node → the
 * nodes it waits on), read against the product's existing edges: a job's deps and a parent's children. `labels` are
 * placeholders (`#k`) for the jobs not yet created, and every new edge touches one (into it from the parent, or out
 * of it to its deps), so any new cycle passes through one: ONE search from the placeholders (core/dag `findCycle`)
 * reads each job reachable from them at most once. Not from the parent: its neighbours are its whole existing
 * subtree, read again per submission (a reviewer's batch of 240 children of a 1,750-child parent took 14 s). Past
 * SEARCH_BUDGET jobs, the jobs waiting on the parent are read instead, when they are fewer (dag/cycle-reach).
 */
export function assertAcyclic(
  sql: SqlStorage,
  newEdges: ReadonlyMap<string, readonly string[]>,
  labels: readonly string[],
): void {
  const placeholders = new Set(labels);
  const neighbours = (id: string): readonly string[] => {
    const added = newEdges.get(id) ?? [];
    if (placeholders.has(id)) return added;
    return [...added, ...storedWaitsOn(sql, id)];
  };
  const cycle = newCycle(sql, newEdges, labels, neighbours); // within bounds on either side of the parent
  if (cycle) {
    // Named within bounds (core/dag `namedCycle`): a cycle is as long as the chain of live jobs it runs through.
    const named = namedCycle(cycle);
    throw new DomainError("validation_failed", `dependency cycle: ${named.text}`, {
      cycle: named.cycle,
      ...(named.length === undefined ? {} : { cycleLength: named.length }),
      issues: [{ path: "deps", message: `closes the cycle ${named.text}` }],
    });
  }
}

/**
 * What stored job `id` waits on, for a cycle search (here and jobs/batch-reach): its deps, then its children, in
 * two reads along primary key and parent index — or nothing, read once, for a job that ended for good (core/dag
 * `endedForGood`: no cycle through it can block), so a search stops at the product's shipped history.
 */
export function storedWaitsOn(sql: SqlStorage, id: string): string[] {
  const row = sql
    .exec<{ stage: Stage; deps: string | null }>(
      "SELECT stage, json_extract(doc, '$.deps') AS deps FROM jobs WHERE id = ?",
      id,
    )
    .toArray()[0];
  if (!row || endedForGood(row.stage)) return [];
  const deps = row.deps ? (JSON.parse(row.deps) as string[]) : [];
  const children = sql
    .exec<{ id: string }>("SELECT id FROM jobs WHERE parent_id = ?", id)
    .toArray()
    .map((r) => r.id);
  return [...deps, ...children];
}

/** Kahn's order over the siblings (acyclic by now): a child is created after the siblings it depends on. */
function dependencyOrder(n: number, depsOf: (k: number) => readonly string[], refs: string[]): number[] {
  const index = new Map(refs.map((r, k) => [r, k]));
  // Who waits on whom, once: O(n + d), where a scan of every sibling per child made was O(n²·d).
  const waiters: number[][] = Array.from({ length: n }, () => []);
  const waitingOn = new Array<number>(n).fill(0);
  for (let j = 0; j < n; j++) {
    for (const d of depsOf(j)) {
      const k = index.get(d);
      if (k === undefined) continue;
      waiters[k]!.push(j);
      waitingOn[j]!++;
    }
  }
  const ready = waitingOn.flatMap((w, k) => (w === 0 ? [k] : [])).reverse();
  const order: number[] = [];
  while (ready.length > 0) {
    const k = ready.pop()!;
    order.push(k);
    for (const j of waiters[k]!) {
      waitingOn[j] = waitingOn[j]! - 1;
      if (waitingOn[j] === 0) ready.push(j);
    }
  }
  return order;
}
