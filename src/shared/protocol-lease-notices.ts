/**
 * @module shared/protocol-lease-notices
 * Why the coordinator took a lease from its holder — a `cancel` frame's `code` — and why it stopped giving a factory
 * work — a `drain` frame's `status`: machine-readable beside the frames' free-text `reason`, so the agent can say
 * what happened and what to do (agent/lease-notices) instead of calling every lease it loses "cancelled".
 *
 * Both fields are optional on the wire: an older coordinator sends neither, and a newer one may send a code this
 * agent does not know — the agent then reads the frame as it did before (an operator's cancel; the drain's reason
 * only), it never refuses the frame: a refused `cancel` would leave its engine running.
 */
import { z } from "zod";

/**
 * What ended a lease the holder is told about with a `cancel`:
 * - `operator` — an operator cancelled or requeued the job; `review_rejected` — a reviewer rejected it;
 *   `parent_cancelled` — the cancel of a composite above it reached this running child;
 * - `preempted` — a critical job took the seat (its `assign` follows);
 * - `budget` — the product's budget ran out (`onExhausted: stop`); `job_budget` — the run went over its own budget;
 * - `lease_expired` — the lease ran out: no renewal reached the coordinator in time;
 * - `revoked` / `deregistered` — this factory's token was revoked, or the factory removed (its socket closes next).
 */
export const CANCEL_CODES = [
  "operator",
  "review_rejected",
  "parent_cancelled",
  "preempted",
  "budget",
  "job_budget",
  "lease_expired",
  "revoked",
  "deregistered",
] as const;
export const CancelCode = z.enum(CANCEL_CODES);
export type CancelCode = z.infer<typeof CancelCode>;

/** What a `drain` put the factory in (the factory's status): `draining` or `quarantined` (by an operator or its error budget). */
export const DRAIN_STATUSES = ["draining", "quarantined"] as const;
export const DrainStatus = z.enum(DRAIN_STATUSES);
export type DrainStatus = z.infer<typeof DrainStatus>;

/** `cancel`: the holder of lease `leaseEpoch` of `jobId` must stop its engine; `reason` is shown to its operator. */
export interface CancelNotice {
  type: "cancel";
  jobId: string;
  leaseEpoch: number;
  reason: string;
  /** Absent from older coordinators. */
  code?: CancelCode;
}

/** `drain`: the coordinator gives this factory no new work; the leases it holds run on. */
export interface DrainNotice {
  type: "drain";
  reason: string;
  /** Absent from older coordinators (the reason then starts with the status: `quarantined by …`, `draining by …`). */
  status?: DrainStatus;
}

/** The code of a `cancel` as the agent reads it: a known one, or undefined (absent, or a newer coordinator's). */
export function cancelCodeOf(frame: { code?: unknown }): CancelCode | undefined {
  const code = CancelCode.safeParse(frame.code);
  return code.success ? code.data : undefined;
}

/** The status a `drain` put the factory in: its `status`, else the word its `reason` starts with, else `draining`. */
export function drainStatusOf(frame: { status?: unknown; reason?: unknown }): DrainStatus {
  const status = DrainStatus.safeParse(frame.status);
  if (status.success) return status.data;
  return typeof frame.reason === "string" && frame.reason.startsWith("quarantined") ? "quarantined" : "draining";
}
