// waiting-details.js — the job page's "Why is it waiting?" panel's detail rows in words (waiting.js draws them): each
// detail key the core writes (src/core/waiting*.ts) under a label of its own, its value in words — instants as dates,
// records by their names, a budget pause as a sentence (waiting-budget.js) — and what the page shows elsewhere left out.

import { when } from "./dom.js";
import { BUDGET_LABELS, BUDGET_WORDS } from "./waiting-budget.js";
import { waitingHeading } from "./waiting-headings.js";

/**
 * A key as words, for a detail key or a record's field this page has no label for: "leaseEpoch" → "lease epoch",
 * "some_key" → "some key". The panel drew unknown keys raw, and its labels are set in capitals: "BYSTAGE".
 * @param {string} key
 */
export const keyWords = (key) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();

/** A label for a detail key no entry of LABELS names: its words, the first capitalised. @param {string} key */
export const keyLabel = (key) => {
  const w = keyWords(key);
  return w ? `${w[0]?.toUpperCase()}${w.slice(1)}` : key;
};

/** Whether a key holds an instant (ms): until, …At, …Until (keptUntil read as a number), …Before; as cli/table's. */
const isInstantKey = /** @param {string} key */ (key) => /^(until|before)$|(At|Until|Before)$/.test(key);

/**
 * A detail value in one line: instants as dates, records led by their name/id/reviewer (or, for a job's
 * lastResult, its outcome) and then their other fields, each named in words. A record with none of those is just
 * its fields, never "?".
 * @param {string} key @param {unknown} v
 * @returns {string}
 */
export function valueText(key, v) {
  if (typeof v === "number" && isInstantKey(key)) return when(v);
  if (v === null || v === undefined) return "—";
  if (Array.isArray(v)) return v.length ? v.map((x) => valueText(key, x)).join(", ") : "none";
  if (typeof v === "object") {
    const r = /** @type {Record<string, unknown>} */ (v);
    const labelKey = ["name", "id", "reviewer", "outcome"].find((k) => r[k] !== undefined && r[k] !== null);
    const hidden = labelKey ? [labelKey, ...(labelKey === "name" ? ["id", "reviewer"] : [])] : [];
    const rest = Object.entries(r)
      .filter(([k, x]) => !hidden.includes(k) && x !== undefined)
      .map(([k, x]) => `${keyWords(k)} ${valueText(k, x)}`);
    if (!labelKey) return rest.join(", ") || "—";
    const label = String(r[labelKey]);
    return rest.length ? `${label} (${rest.join(", ")})` : label;
  }
  return String(v);
}

/** How a dependency mode reads (core/dag: `all` ship, or `any` one). @type {Record<string, string>} */
const MODES = { all: "all of them must ship", any: "any one of them must ship" };

/**
 * Detail values that read better in words of their own than as a record's fields: a composite's children counted
 * by stage ("2 in testing", not "testing 2"), the run a serial key waits on to stop, the cause a preempted job
 * waits on next (its heading), a dependency mode, a budget that is not set. `name`: a factory by id; `detail`: the
 * whole detail, for a value read beside another (a spend beside its ceiling).
 * @type {Record<string, (v: any, name: (id: string) => string, detail?: any) => string | undefined>}
 */
const WORDS = {
  byStage: (v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.entries(v)
          .map(([stage, n]) => `${n} in ${stage}`)
          .join(", ") || "none"
      : undefined,
  stopping: (v, name) =>
    v && typeof v === "object" && typeof v.jobId === "string"
      ? `job ${v.jobId}` +
        (typeof v.factoryId === "string" ? ` on factory ${name(v.factoryId)}` : "") + // its name, as the fleet's
        (typeof v.leaseEpoch === "number" ? ` (lease epoch ${v.leaseEpoch})` : "") +
        (typeof v.until === "number" ? `, stopped by ${when(v.until)} at the latest` : "")
      : undefined,
  waitingFor: (v) => (typeof v === "string" ? waitingHeading(v) : undefined),
  mode: (v) => (typeof v === "string" ? (MODES[v] ?? v) : undefined),
  ...BUDGET_WORDS,
};

/** A detail's value as the panel draws it: its own words when the key has some, else `valueText`.
 * @param {string} key @param {unknown} v @param {(id: string) => string} [name] a factory by id (live.js factoryName)
 * @param {unknown} [detail] the whole detail `v` is of */
export const detailText = (key, v, name = (/** @type {string} */ id) => id, detail = undefined) =>
  (Object.hasOwn(WORDS, key) ? WORDS[key]?.(v, name, detail) : undefined) ?? valueText(key, v);

/**
 * Labels for the detail keys the core writes (src/core/waiting*.ts); any other reads as its key's words (`keyLabel`).
 * @type {Record<string, string>}
 */
const LABELS = {
  missing: "Missing capabilities",
  requires: "Requires",
  closest: "Closest factory",
  deps: "Dependencies",
  mode: "Dependencies needed",
  waitingOn: "Waiting on",
  depId: "Failed dependency",
  depStage: "Its stage",
  ancestorId: "Cancelled job above",
  holder: "Held by job",
  stopping: "Waiting for the run of",
  serialKey: "Serial key",
  until: "Until",
  retryAt: "Retries after its backoff, at",
  keptUntil: "Then kept from a factory until",
  attempt: "Attempt",
  maxAttempts: "Attempts allowed",
  approvedBy: "Approved by",
  approvals: "Approvals so far",
  required: "Approvals required",
  done: "Children done",
  total: "Children in all",
  byStage: "Children by stage",
  factories: "Factories",
  factoryCount: "Factories in all",
  factoryId: "Factory id",
  factoryName: "Factory",
  left: "Left after draining",
  leftCount: "Left in all",
  excluded: "Kept from the job once back",
  revoked: "Revoked, with what it needs",
  engine: "Engine",
  overflow: "Overflow policy",
  preemptedBy: "Preempted by",
  waitingFor: "Then waiting for",
  pendingApproval: "Awaiting approval on",
  lastResult: "Last result",
  ...BUDGET_LABELS,
};

/** The label of detail key `key`. @param {string} key */
export const detailLabel = (key) => (Object.hasOwn(LABELS, key) ? (LABELS[key] ?? key) : keyLabel(key));

/**
 * Detail keys the job page already shows in its own facts: a failed job's lastResult is the "Last result" line
 * there, so the panel would show it a second time.
 */
const SHOWN_ELSEWHERE = ["lastResult"];

/**
 * The panel's rows as [label, text], in the core's order, without what the page shows elsewhere.
 * @param {any} reason @param {(id: string) => string} [name] a factory by id (live.js factoryName)
 * @returns {Array<[string, string, string]>} [key, label, text]
 */
export function detailRows(reason, name) {
  return Object.entries(reason?.detail ?? {})
    .filter(([k]) => !SHOWN_ELSEWHERE.includes(k))
    .map(([k, v]) => [k, detailLabel(k), detailText(k, v, name, reason.detail)]);
}
