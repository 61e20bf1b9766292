/**
 * @module shared/protocol-lease-notices
 * Why the coordinator took a lease from its holder — a `cancel` frame's `code` — and why it stopped giving a factory
 * work — a `drain` frame's `status`, repeated in every `welcome` while it lasts: machine-readable beside the frames' free-text `reason`, so the agent can say
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

/** A factory's status as a `welcome` says it: `active`, or one a `drain` puts it in. */
export const WELCOME_STATUSES = ["active", ...DRAIN_STATUSES] as const;
export const WelcomeStatus = z.enum(WELCOME_STATUSES);
export type WelcomeStatus = z.infer<typeof WelcomeStatus>;

/**
 * What a `welcome` says of the factory's status: a `drain` reaches only the sockets open when it is sent, so an agent
 * that connects later (restarted, or cut off then) learns here that no work will come, and why. Both absent from
 * older coordinators; `statusReason` only beside a status that is not `active` (as a `drain`'s `reason`).
 */
export interface WelcomeStanding {
  status?: WelcomeStatus;
  statusReason?: string;
}

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
  /**
   * Sent by every current coordinator. Absent from older ones, whose reason then starts with the status
   * (`quarantined by …`, `draining by …`): `drainStatusOf` reads that only for such a frame.
   */
  status?: DrainStatus;
}

/**
 * `active`: the coordinator gives this factory work again — an operator released its quarantine (`factory release`,
 * or `status active`) or activated it from draining. `reason` says who and how (`released by alice`,
 * `activated by alice`). Sent only when the status changed, to the sockets open then; a later `welcome` says
 * `status: "active"`. Its own type, not a `drain` with another status: an agent that knows only `drain` would read
 * that as one (and say "draining"), while an unknown type is ignored without a word by every agent.
 */
export interface ActiveNotice {
  type: "active";
  reason: string;
}

/** The code of a `cancel` as the agent reads it: a known one, or undefined (absent, or a newer coordinator's). */
export function cancelCodeOf(frame: { code?: unknown }): CancelCode | undefined {
  const code = CancelCode.safeParse(frame.code);
  return code.success ? code.data : undefined;
}

/**
 * The status a `drain` put the factory in: its `status`; for an older coordinator's frame without one (or with one
 * this agent does not know), the word its `reason` starts with, else `draining`.
 */
export function drainStatusOf(frame: { status?: unknown; reason?: unknown }): DrainStatus {
  const status = DrainStatus.safeParse(frame.status);
  if (status.success) return status.data;
  return typeof frame.reason === "string" && frame.reason.startsWith("quarantined") ? "quarantined" : "draining";
}

/**
 * The drain a `welcome` repeats (`WelcomeStanding`): a frame of its status and reason when the factory is draining
 * or quarantined; undefined when it is active, or the welcome says nothing of it (an older coordinator), or names a
 * status this agent does not know (a newer one's): the welcome itself is never refused for it.
 */
export function welcomeDrainOf(frame: { status?: unknown; statusReason?: unknown }): DrainNotice | undefined {
  const status = DrainStatus.safeParse(frame.status);
  if (!status.success) return undefined;
  const reason = typeof frame.statusReason === "string" ? frame.statusReason : "";
  return { type: "drain", reason, status: status.data };
}
