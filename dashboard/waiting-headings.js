// waiting-headings.js — the heading of a waiting reason, by its code (src/core/waiting-reason.ts), for the board's
// note and the job page's "Why is it waiting?" panel (waiting.js), and for the cause a preempted job waits on next
// (waiting-details.js).

/** Short headings per code, for the detail panel's title line. */
const HEADINGS = {
  no_capable_factory: "No capable factory",
  no_factory_connected: "No factory connected",
  all_seats_busy: "All seats busy",
  deps_unmet: "Waiting for dependencies",
  dependency_failed: "A dependency failed",
  children_running: "Children running",
  serial_key_held: "Serial key held",
  serial_key_frozen: "Serial key frozen",
  retry_backoff: "Retry backoff",
  review_pending: "Review pending",
  budget_paused: "Budget paused",
  factory_quarantined: "Factories out of service",
  factory_draining: "Factories draining",
  breaker_open: "Breaker open",
  preempted: "Preempted",
  excluded: "Kept from a factory",
  testing: "Testing",
  dispatching: "Dispatching",
  needs_operator: "Needs an operator",
  ancestor_cancelled: "A job above it was cancelled",
};

/** @param {string} code */
export const waitingHeading = (code) => /** @type {Record<string, string>} */ (HEADINGS)[code] ?? code;

/**
 * The heading of one reason: its code's, except a capability some factory declared and awaits approval for —
 * the operator's step is to approve it (`gigafactory factory approve`), not to enroll a factory.
 * @param {any} reason
 */
export const reasonHeading = (reason) =>
  reason?.code === "no_capable_factory" && reason.detail?.pendingApproval?.length
    ? "Capability awaiting approval"
    : waitingHeading(reason?.code);
