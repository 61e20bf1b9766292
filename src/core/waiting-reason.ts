/**
 * @module core/waiting-reason
 * The vocabulary of why a job waits (issue "fleet policies" §7): the codes, one per cause, and the reason every job
 * read carries while it is not running. Plain data like core/model, beside the job it describes; computed by
 * core/waiting, described on the wire by shared/api-policies `WaitingReasonSchema`, worded by the CLI and dashboard.
 */

/**
 * Why a job that is not running is waiting (issue "fleet policies" §7). One code per cause; `detail` carries the
 * specifics (missing capabilities, the dep ids, the holding job, until when, who approved…). Computed by one pure
 * function (core/waiting) from the same inputs the router reads, so it cannot disagree with the router.
 */
export const WAITING_CODES = [
  "no_capable_factory",
  "no_factory_connected",
  "all_seats_busy",
  "deps_unmet",
  "dependency_failed",
  "children_running",
  "serial_key_held",
  "serial_key_frozen",
  "retry_backoff",
  "review_pending",
  "budget_paused",
  "factory_quarantined",
  /**
   * Every factory that could run it is draining (its agent sent `drain`, or an operator set `draining`): it finishes
   * what it holds and takes nothing new. Not `factory_quarantined`, which sent an operator to `factory release`.
   */
  "factory_draining",
  "breaker_open",
  "preempted",
  "excluded",
  "testing",
  "dispatching",
  /**
   * A composite above it was cancelled and the cancel cascade (coordinator/dag/cancel-subtree) has not reached it
   * yet: dispatch skips it (a run would be cancelled at once), and it ends `cancelled`. The problem code of the same
   * name refuses a requeue below a cancelled composite.
   */
  "ancestor_cancelled",
  /** A `failed` job that will not retry by itself: an operator requeues or cancels it (part 5 addition). */
  "needs_operator",
] as const;
export type WaitingCode = (typeof WAITING_CODES)[number];

export interface WaitingReason {
  code: WaitingCode;
  /** Plain words for the board, e.g. "waiting for a factory with gpu, lang:rust". */
  message: string;
  /** When this reason started to hold, ms epoch (best known: the stage's entry or the cause's own timestamp). */
  since: number;
  detail: Record<string, unknown>;
  /**
   * The command(s) that end the wait, where the message names none (core/waiting-fix): which capability to add and
   * how — enroll a host with it, or declare it on one enrolled. Absent when the message says what to do.
   */
  fix?: string;
}
