/**
 * @module durable-objects/coordinator/factories/notices
 * What a factory must hear once a unit has committed, written in the unit: a `cancel` for the holder of a lease the
 * unit took away (a budget stop, a run over its own budget, a composite's cancel reaching a running child, a lease
 * expiry, a revoke or deregister) and a `drain` for a factory the unit quarantined on its own (policies/quarantine).
 *
 * NOTICES are rows (`stop_notices`, `drain_notices`) written in the unit, so a unit that rolls back leaves none; the
 * coordinator pushes and deletes them after the commit (runtime/composition `tellStopped`: before the dispatch pass
 * the unit causes, so a holder hears of its lost job before it is pushed work for the seat that freed). Nothing is
 * read when no unit wrote one since the tables were last read empty (`mayHoldNotices`: an in-memory flag), so the
 * units of the hot path (submit, assign, accept, report) pay nothing for them.
 *
 * `cancelFrame` is the one builder of the `cancel` frame: the notices', a job action's and a review reject's (both
 * in their unit's answer), and a preemption's (factories/push). Each carries a `code` (shared/protocol-lease-notices)
 * so the agent can tell its operator a lease expiry from an operator's cancel: every caller names its own; only a
 * notice row written before codes has its code read from its text (`stopCodeOf`). A notice row keeps its code in its
 * `reason` column, ahead of the text (`CODE_MARK`): no column added, no statement more.
 */
import type { Job } from "../../../core/model.ts";
import type { ServerFrame } from "../../../shared/protocol.ts";
import { type CancelCode, cancelCodeOf } from "../../../shared/protocol-lease-notices.ts";
import { execute } from "../../sql-statements.ts";
import type { Tx } from "../runtime/tx.ts";
import { updateFactory } from "./registry.ts";

export type CancelFrame = Extract<ServerFrame, { type: "cancel" }>;
export type DrainFrame = Extract<ServerFrame, { type: "drain" }>;

/** A frame for one factory's sockets. */
export interface FactoryNotice {
  factoryId: string;
  frame: CancelFrame | DrainFrame;
}

/**
 * The `cancel` a holder gets for the lease `leaseEpoch` of `jobId` it runs under (the epoch before the coordinator
 * took it: the one its seat knows), `reason` shown to its operator, `code` why (undefined: the agent reads it as an operator's cancel).
 */
export function cancelFrame(
  jobId: string,
  leaseEpoch: number,
  reason: string,
  code: CancelCode | undefined,
): CancelFrame {
  return { type: "cancel", jobId, leaseEpoch, reason, ...(code ? { code } : {}) };
}

/**
 * The code of a notice row written before codes (an older build's, still queued after a deploy), from the texts the
 * coordinator wrote then (dispatch/lease-ops, forced-loss and preempt, policies/budget-stop and run-spend,
 * dag/cancel-subtree, a job action's `cancel by …`, a review's `reject by …`); undefined for any other.
 */
export function stopCodeOf(reason: string): CancelCode | undefined {
  if (reason === "lease expired") return "lease_expired";
  if (reason === "preempted") return "preempted";
  if (reason === "factory token revoked") return "revoked";
  if (reason === "factory deregistered") return "deregistered";
  if (reason.startsWith("budget exhausted")) return "budget";
  if (reason.includes(" the job budget ")) return "job_budget";
  if (reason.startsWith("cancelled with ")) return "parent_cancelled";
  if (reason.startsWith("reject by ")) return "review_rejected";
  if (/^(cancel|requeue) by /.test(reason)) return "operator";
  return undefined;
}

/** Ahead of a notice row's text, the code it was written with: `code` + CODE_MARK + text (a unit separator). */
const CODE_MARK = "\u001f";

/** A notice row's `reason` column: the code, then the text. */
function stored(reason: string, code: CancelCode | undefined): string {
  return code ? `${code}${CODE_MARK}${reason}` : reason;
}

/** A `cancel` from a notice row (one written before codes has none but its text's: `stopCodeOf`). */
function storedCancel(jobId: string, leaseEpoch: number, column: string): CancelFrame {
  const mark = column.indexOf(CODE_MARK);
  if (mark < 0) return cancelFrame(jobId, leaseEpoch, column, stopCodeOf(column));
  const reason = column.slice(mark + CODE_MARK.length);
  return cancelFrame(jobId, leaseEpoch, reason, cancelCodeOf({ code: column.slice(0, mark) }) ?? stopCodeOf(reason));
}

/**
 * The `cancel` for the holder a unit's answer names (`stoppedFactoryId`: jobs/actions `ActionOutcome`), whose lease
 * that unit took (`job` as saved, one epoch on); undefined when the unit took none.
 */
export function takenLeaseNotice(
  value: { job: Pick<Job, "id" | "leaseEpoch">; stoppedFactoryId?: string },
  reason: string,
  code: CancelCode,
): FactoryNotice | undefined {
  if (!value.stoppedFactoryId) return undefined;
  const frame = cancelFrame(value.job.id, value.job.leaseEpoch - 1, reason, code);
  return { factoryId: value.stoppedFactoryId, frame };
}

/**
 * Handles that may hold notices: a fresh instance may (notices of a unit committed just before it was evicted), and
 * so does every handle a note was written to. `takeNotices` reads the tables only then — it runs after units, and
 * almost always found nothing. A rolled-back note leaves a harmless "maybe": one read that finds nothing.
 */
const surelyNone = new WeakSet<SqlStorage>();

/**
 * Queue a `cancel` for the holder of `job` (as it was before its lease was taken), pushed after the commit; `code`
 * why (every caller names its own: a code read back from the text broke whenever a text was reworded).
 */
export function noteStop(tx: Tx, job: Job, reason: string, code: CancelCode): void {
  if (!job.holderFactoryId) return;
  surelyNone.delete(tx.sql);
  execute(
    tx.sql,
    "INSERT INTO stop_notices(factory_id, job_id, lease_epoch, reason) VALUES (?, ?, ?, ?)",
    job.holderFactoryId,
    job.id,
    job.leaseEpoch,
    stored(reason, code),
  );
}

/**
 * `factoryId` quarantined by the coordinator itself (policies/quarantine): its status and `reason` (kept for its next
 * `welcome`, factories/standing) set in ONE write of its record — the status set first and the reason after it was
 * two, each a read, a parse and a write of the whole document, in the unit of the run's end — and a `drain` queued,
 * pushed after the commit with `status: "quarantined"`. @throws NotFoundError — no such factory.
 */
export function noteDrain(tx: Tx, factoryId: string, reason: string): void {
  surelyNone.delete(tx.sql);
  execute(tx.sql, "INSERT INTO drain_notices(factory_id, reason) VALUES (?, ?)", factoryId, reason);
  updateFactory(tx, factoryId, { status: "quarantined", statusReason: reason });
}

/**
 * Whether `takeNotices` could find any: false when none were written since the tables were last read empty, so
 * the caller need not open a transaction to ask (a savepoint after every unit: issue 12, ninth pass).
 */
export function mayHoldNotices(sql: SqlStorage): boolean {
  return !surelyNone.has(sql);
}

/**
 * The notices committed so far, removed from their tables (call after a commit, in a transaction of its own):
 * every `cancel` in the order written, then every `drain`.
 */
export function takeNotices(sql: SqlStorage): FactoryNotice[] {
  if (!mayHoldNotices(sql)) return [];
  const stops = sql
    .exec<{ factory_id: string; job_id: string; lease_epoch: number; reason: string }>(
      "SELECT factory_id, job_id, lease_epoch, reason FROM stop_notices ORDER BY seq",
    )
    .toArray();
  const drains = sql
    .exec<{ factory_id: string; reason: string }>("SELECT factory_id, reason FROM drain_notices ORDER BY seq")
    .toArray();
  surelyNone.add(sql); // these reads and the deletes below commit or roll back together (their transaction)
  if (stops.length > 0) execute(sql, "DELETE FROM stop_notices");
  if (drains.length > 0) execute(sql, "DELETE FROM drain_notices");
  return [
    ...stops.map((r) => ({ factoryId: r.factory_id, frame: storedCancel(r.job_id, r.lease_epoch, r.reason) })),
    ...drains.map((r) => ({ factoryId: r.factory_id, frame: drainFrame(r.reason) })),
  ];
}

/**
 * The `drain` of a notice row: the only unit that writes one is an automatic quarantine's (policies/quarantine), so
 * its status is said, not read back from the reason's first word (a reworded reason would have said `draining`).
 */
function drainFrame(reason: string): DrainFrame {
  return { type: "drain", reason, status: "quarantined" };
}
