/**
 * @module durable-objects/coordinator/jobs/waiting
 * Gathers what core/waiting reads — the router's context, the fleet, which factories can take work, serial
 * holders, dependency and children stages — and answers each job's `waitingReason` on read (never stored, so it is
 * current whenever the queue version moves). A page of jobs shares one snapshot of the fleet: the fleet, the
 * context and the serial holders are read once per page, dependencies and children per waiting job by key.
 */
import type { Job, Stage } from "../../../core/model.ts";
import { liveHoldsByKey } from "../../../core/serial-holds.ts";
import type { WaitingInputs } from "../../../core/waiting.ts";
import { runsOrEnded, waitingReasonOf } from "../../../core/waiting.ts";
import { withWaitingFix } from "../../../core/waiting-fix.ts";
import type { WaitingReason } from "../../../core/waiting-reason.ts";
import { cascadeHold } from "../dag/cancel-subtree.ts";
import { routeContext } from "../dispatch/claim.ts";
import { liveSerialHolds } from "../dispatch/serial-holds.ts";
import { listFactories, livePollers } from "../factories/registry.ts";
import type { Tx } from "../runtime/tx.ts";

/**
 * The inputs shared by every job of one read: everything but the per-job dependency and children stages, and the
 * lookup of a cancel cascade a job is below (dag/cancel-subtree `cascadeHold`, dispatch's own; undefined: none).
 */
export type FleetSnapshot = Omit<WaitingInputs, "depStages" | "childCounts" | "cancelledAbove"> & {
  cascadeAbove?: (job: Pick<Job, "parentId">) => string | undefined;
};

/**
 * One read of the fleet at `tx.now`. `wsReady`: factories with a greeted, work-ready WebSocket (the runtime's
 * `workReadySockets`). A factory that never connected over WebSocket works by HTTP polling: it counts as
 * connected while its heartbeats (or claims) keep it out of `down`, which is what lets it claim.
 */
export function fleetSnapshot(tx: Tx, wsReady: ReadonlySet<string>): FleetSnapshot {
  const factories = listFactories(tx.sql, tx.now);
  const connected = new Set([...wsReady, ...livePollers(tx.sql, tx.now, factories).map((f) => f.id)]);
  // A WebSocket factory whose link is open (its close never seen) yet not work-ready: its agent sent `drain`.
  const draining = new Set(
    tx.sql
      .exec<{ id: string }>(OPEN_LINKS_SQL)
      .toArray()
      .map((r) => r.id)
      .filter((id) => !wsReady.has(id)),
  );
  const holders = tx.sql
    .exec<{ k: string; id: string }>(
      "SELECT serial_key AS k, id FROM jobs WHERE serial_key IS NOT NULL AND stage IN ('assigned', 'building')",
    )
    .toArray();
  return {
    ctx: routeContext(tx),
    factories,
    connected,
    draining,
    serialHolders: new Map(holders.map((r) => [r.k, r.id])),
    // At most MAX_FROZEN_KEYS rows (policies/serial-gates): every freeze's instant, for its reason's `since`.
    frozenAt: new Map(
      tx.sql
        .exec<{ key: string; at: number }>("SELECT key, at FROM serial_freezes")
        .toArray()
        .map((r) => [r.key, r.at]),
    ),
    serialStops: liveHoldsByKey(liveSerialHolds(tx.sql, tx.now), tx.now),
    cascadeAbove: cascadeHold(tx.sql),
  };
}

/** Factories whose stored WebSocket link is open: a hello's connection generation with no close recorded for it. */
const OPEN_LINKS_SQL = `SELECT id FROM factories WHERE json_extract(doc, '$.connection') IS NOT NULL
  AND json_extract(doc, '$.connection') IS NOT json_extract(doc, '$.closedConnection')`;

function stageOf(sql: SqlStorage, id: string): Stage | undefined {
  return sql.exec<{ stage: Stage }>("SELECT stage FROM jobs WHERE id = ?", id).toArray()[0]?.stage;
}

/** A composite's children counted by stage (core/waiting `childCounts`). */
export const CHILD_COUNTS_SQL =
  "SELECT stage, COUNT(*) AS n FROM jobs INDEXED BY jobs_by_parent WHERE parent_id = ? GROUP BY stage";

/**
 * The waiting reason of one job at `tx.now` (null while it runs or once terminal). `connected` is either the
 * work-ready WebSocket factory ids (a snapshot is read) or a snapshot already read for a page or a tree —
 * the entry point part 3's `GET …/tree` calls once per node with one shared snapshot.
 */
export function waitingReasonFor(
  tx: Tx,
  job: Omit<Job, "bodyMd">,
  connected: ReadonlySet<string> | FleetSnapshot,
): WaitingReason | null {
  const snap = "factories" in connected ? connected : fleetSnapshot(tx, connected);
  const full = job as Job;
  const { cascadeAbove, ...shared } = snap;
  const inputs: WaitingInputs = { ...shared };
  const above = cascadeAbove?.(job);
  if (above !== undefined) {
    // When the composite was cancelled: the reason has held since then.
    const at = tx.sql
      .exec<{ at: number | null }>("SELECT json_extract(doc, '$.updatedAt') AS at FROM jobs WHERE id = ?", above)
      .toArray()[0]?.at;
    inputs.cancelledAbove = { id: above, at: at ?? job.updatedAt };
  }
  // A failed job's deps too: one its gate failed is judged by their stages now, not its message (core/waiting).
  if (job.stage === "blocked" || (job.stage === "failed" && job.deps.length > 0)) {
    inputs.depStages = new Map(job.deps.map((d) => [d, stageOf(tx.sql, d)]));
  }
  if (job.stage === "blocked" && job.kind === "composite") {
    // An aggregate over the parent index: exact however many children (up to MAX_CHILDREN_PER_PARENT), and
    // one row per stage back, not one per child (a first-1000 read said "0 of 1000" of 1500).
    const rows = tx.sql.exec<{ stage: Stage; n: number }>(CHILD_COUNTS_SQL, job.id).toArray();
    inputs.childCounts = new Map(rows.map((r) => [r.stage, r.n]));
  }
  if (job.stage === "queued") {
    // Asked only of a job kept from every factory (core/waiting-excluded quotes the refusal): one lookup on the runs'
    // primary key, never on a page of jobs that do not wait so.
    inputs.lastRunMessage = () =>
      tx.sql.exec<{ m: string | null }>(LAST_RUN_MESSAGE_SQL, job.id).toArray()[0]?.m ?? undefined;
  }
  // With its fix (core/waiting-fix): the CLI and the dashboard read the same words.
  return withWaitingFix(waitingReasonOf(full, inputs, tx.now), job.id);
}

/** The result message of a job's last ended run (runs' primary key is (job_id, lease_epoch)). */
const LAST_RUN_MESSAGE_SQL =
  "SELECT json_extract(doc, '$.result.message') AS m FROM runs WHERE job_id = ? AND ended_at IS NOT NULL ORDER BY lease_epoch DESC LIMIT 1";

/** `job` with its `waitingReason` (the API's job shape). */
export function withWaitingReason<J extends Omit<Job, "bodyMd">>(
  tx: Tx,
  job: J,
  connected: ReadonlySet<string> | FleetSnapshot,
): J & { waitingReason: WaitingReason | null } {
  return { ...job, waitingReason: waitingReasonFor(tx, job, connected) };
}

/** A page of jobs, each with its reason, from one snapshot of the fleet (read only if some job on it waits). */
export function withWaitingReasons<J extends Omit<Job, "bodyMd">>(
  tx: Tx,
  jobs: readonly J[],
  wsReady: ReadonlySet<string>,
): Array<J & { waitingReason: WaitingReason | null }> {
  let snap: FleetSnapshot | undefined;
  return jobs.map((job) => {
    if (runsOrEnded(job)) return { ...job, waitingReason: null };
    snap ??= fleetSnapshot(tx, wsReady);
    return withWaitingReason(tx, job, snap);
  });
}
