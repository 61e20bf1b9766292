// waiting.js — why a job waits (the API's `waitingReason`, computed by src/core/waiting.ts) in plain words: a
// one-line note under the stage on the board, and on the job page a panel with the detail — which capabilities
// are missing, which deps in which stage, which job holds the serial key, until when, who approved.
// Text only through h()/textContent (CSP: no inline scripts or styles).

import { ago, h, when } from "./dom.js";

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
  breaker_open: "Breaker open",
  preempted: "Preempted",
  excluded: "Kept from a factory",
  testing: "Testing",
  dispatching: "Dispatching",
  needs_operator: "Needs an operator",
};

/** @param {string} code */
export const waitingHeading = (code) => /** @type {Record<string, string>} */ (HEADINGS)[code] ?? code;

/**
 * The board's note under a waiting job's stage; null for a running or finished job.
 * @param {any} reason
 */
export function waitingNote(reason) {
  if (!reason) return null;
  return h(
    "span",
    { class: `waiting waiting-${reason.code}`, title: `${waitingHeading(reason.code)} since ${when(reason.since)}` },
    reason.message,
  );
}

/** @param {string} key @param {unknown} v */
function valueText(key, v) {
  if (typeof v === "number" && (key === "until" || key.endsWith("At"))) return when(v);
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.length ? v.map((x) => valueText(key, x)).join(", ") : "none";
  if (typeof v === "object") {
    const r = /** @type {Record<string, unknown>} */ (v);
    const label = String(r.name ?? r.id ?? r.reviewer ?? "?");
    const rest = Object.entries(r)
      .filter(([k]) => !["id", "name", "reviewer"].includes(k))
      .map(([k, x]) => `${k} ${valueText(k, x)}`);
    return rest.length ? `${label} (${rest.join(", ")})` : label;
  }
  return String(v);
}

/** Labels for the detail keys the core writes; anything else shows under its own key. */
const LABELS = {
  missing: "Missing capabilities",
  requires: "Requires",
  closest: "Closest factory",
  deps: "Dependencies",
  waitingOn: "Waiting on",
  holder: "Held by job",
  serialKey: "Serial key",
  until: "Until",
  approvedBy: "Approved by",
  factories: "Factories",
  preemptedBy: "Preempted by",
  waitingFor: "Then waiting for",
};

/**
 * The job page's "Why is it waiting?" block: heading, the message, since when, and every detail.
 * @param {any} reason
 */
export function waitingDetail(reason) {
  if (!reason) return null;
  const rows = Object.entries(reason.detail ?? {}).map(([k, v]) =>
    h(
      "div",
      { dataset: { waitingDetail: k } },
      h("dt", null, /** @type {Record<string, string>} */ (LABELS)[k] ?? k),
      h("dd", null, valueText(k, v)),
    ),
  );
  return h(
    "section",
    {
      class: `waiting-panel waiting-${reason.code}`,
      "aria-label": "Why is it waiting?",
      dataset: { code: reason.code },
    },
    h(
      "p",
      { class: "waiting-head" },
      h("strong", null, waitingHeading(reason.code)),
      ` · since ${when(reason.since)} (${ago(reason.since)})`,
    ),
    h("p", { class: "waiting-message" }, reason.message),
    rows.length ? h("dl", { class: "facts compact" }, ...rows) : null,
  );
}
