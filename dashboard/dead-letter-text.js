// dead-letter-text.js — how the dead letters page (dead-letters.js) reads a dead letter: the code its reason starts
// with, a one-line summary of its message (what kind, how many records or jobs, which titles), the message itself
// bounded for a <pre> (a body is up to a queue message, 128 KB, and 200 of them drawn whole froze the tab), and what
// to do about each refusal of a redrive (worker/routes/dead-letter-redrive's codes), and which dead letters the server
// always refuses to redrive, so the page offers Redrive only where it can work (`notRedrivable`). Someone's text is cut and
// isolated (dom.js): a title holding a right-to-left override must not draw the page's words after it backwards.

import { isolated, shortText } from "./dom.js";
import { counted } from "./format.js";

/** The most graphemes a summary line shows. */
export const SUMMARY_MAX = 200;
/** The most UTF-16 units of a message the page draws when it is opened; the rest is counted, not drawn. */
export const MESSAGE_MAX = 20_000;

/** `code: …` at the start of a reason (a refused bulk item's `conflict: …`), else "". @param {unknown} reason */
export function reasonCode(reason) {
  const m = typeof reason === "string" ? /^([a-z][a-z0-9_]{1,63}): /.exec(reason) : null;
  return m?.[1] ?? "";
}

/** Someone's short text, as a summary quotes it (the whole line is isolated: `messageSummary`). @param {unknown} v */
const quote = (v, max = 60) => `“${shortText(String(v), max)}”`;

/** A job item's words: its title, or what it is when it has none. @param {any} item */
function itemText(item) {
  if (typeof item !== "object" || item === null) return "";
  const title = item.manifest?.title;
  if (typeof title === "string") return `job ${quote(title)}`;
  if (typeof item.markdown === "string") return `job as markdown (${counted(item.markdown.length, "character")})`;
  return "";
}

/** "3 records: audit ×2, run" — how many of each kind. @param {any[]} records */
function kindsText(records) {
  const counts = new Map();
  for (const r of records.slice(0, 1000)) {
    const k = typeof r?.kind === "string" ? shortText(r.kind, 32) : "?";
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const kinds = [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(", ");
  return `${records.length} record${records.length === 1 ? "" : "s"}${kinds ? `: ${kinds}` : ""}`;
}

/**
 * One line that says what a dead letter's message is: "submit: 2 jobs — “a”, “b”", "history: 3 records: audit ×3",
 * "webhook: job.stage (delivery d1)", "job “fix the login”", "not JSON: <its text>". At most SUMMARY_MAX graphemes.
 * @param {unknown} body the dead letter's `body`: the message as JSON, or its text when it was not JSON
 */
export function messageSummary(body) {
  return isolated(shortText(summaryOf(body), SUMMARY_MAX));
}

/** @param {unknown} body */
function summaryOf(body) {
  // Cut before it is measured: a body is up to a queue message, and the summary shows SUMMARY_MAX graphemes of it.
  if (typeof body === "string") return `not JSON: ${body.slice(0, SUMMARY_MAX * 4)}`;
  if (body === null || typeof body !== "object") return String(body);
  if (Array.isArray(body)) return `a list of ${body.length}`;
  const b = /** @type {any} */ (body);
  const kind = typeof b.kind === "string" ? `${shortText(b.kind, 32)}: ` : "";
  if (Array.isArray(b.items)) {
    const titles = b.items.slice(0, 3).map(itemText).filter(Boolean);
    const more = b.items.length > titles.length && titles.length ? ", …" : "";
    const n = `${b.items.length} job${b.items.length === 1 ? "" : "s"}`;
    return `${kind}${n}${titles.length ? ` — ${titles.join(", ")}${more}` : ""}`;
  }
  if (Array.isArray(b.records)) return `${kind}${kindsText(b.records)}`;
  if (typeof b.body === "object" && b.body !== null && typeof b.body.type === "string") {
    const d = b.body.deliveryId === undefined ? "" : ` (delivery ${shortText(String(b.body.deliveryId), 40)})`;
    return `${kind}${shortText(b.body.type, 60)}${d}`;
  }
  const item = itemText(b);
  if (item) return `${kind}${item}`;
  if (typeof b.action === "string") return `${kind}${shortText(b.action, 60)}`;
  const keys = Object.keys(b);
  return `${kind}${keys.length ? `fields ${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""}` : "empty"}`;
}

/**
 * The message as the page shows it when opened: pretty JSON, or the text kept when it was not JSON — at most
 * MESSAGE_MAX UTF-16 units (never a lone half of a surrogate pair), then a line that says how much is not shown.
 * @param {unknown} body
 */
export function messageText(body) {
  let text;
  try {
    text = typeof body === "string" ? body : (JSON.stringify(body, null, 2) ?? String(body));
  } catch {
    text = String(body);
  }
  if (text.length <= MESSAGE_MAX) return text;
  const cut = /[\ud800-\udbff]/.test(text[MESSAGE_MAX - 1] ?? "") ? MESSAGE_MAX - 1 : MESSAGE_MAX;
  const left = text.length - cut;
  return `${text.slice(0, cut)}\n… ${left.toLocaleString("en-US")} more ${left === 1 ? "character" : "characters"} not shown`;
}

/**
 * What to do about a refused redrive, by its code; "" when the page has nothing better than the problem's own words
 * (describeError's advice then speaks).
 */
const REDRIVE_ADVICE = {
  dead_letter_not_redrivable:
    "It stays listed, for reading: the detail says why it cannot be sent back, and what to change first when anything can.",
  dead_letter_malformed: "Its message is not one its queue takes, so it was not sent: it stays listed, for reading.",
  not_found: "It is no longer a dead letter (redriven meanwhile?): the list is read again.",
};

/** @param {string} code */
export const redriveAdvice = (code) =>
  Object.hasOwn(REDRIVE_ADVICE, code) ? REDRIVE_ADVICE[/** @type {keyof typeof REDRIVE_ADVICE} */ (code)] : "";

/** One day, ms. */
const DAY_MS = 86_400_000;
/** How long an idempotency key dedupes, in days: core/retention DEFAULT_RETENTION.idempotencyKeyDays, mirrored. */
export const KEY_DEDUPE_DAYS = 7;
/** How long before that a dispatch dead letter stops being redrivable: worker/queues/redrive KEY_MARGIN_MS, mirrored. */
export const KEY_MARGIN_MS = DAY_MS;

/**
 * Why the server will refuse to redrive dead letter `d` at `now` whatever is tried (worker/queues/redrive `redriveOf`
 * and `keysStillDedupe`: 409 `dead_letter_not_redrivable`), in words; "" when a redrive can work. Only refusals its
 * source and message decide: one the product's state decides (a webhook delivery while no webhook is set) or a
 * message its queue would not take (`dead_letter_malformed`) is the server's to say, when Redrive is pressed. The
 * page offered Redrive on every row, including outbox records and refused bulk items, which it can never send.
 * @param {{ source: unknown, body: unknown, at: unknown }} d a dead letter (GET …/dead-letters item)
 * @param {number} now ms epoch
 * @returns {string}
 */
export function notRedrivable(d, now) {
  const source = typeof d.source === "string" ? d.source : "";
  if (source === "queue:history" || source === "queue:webhook") return "";
  if (source === "queue:submit" || source === "queue:dispatch") {
    const items = /** @type {any} */ (d.body)?.items;
    const keyless = (/** @type {any} */ item) =>
      typeof item?.manifest === "object" && item.manifest !== null && item.manifest.idempotencyKey === undefined;
    if (Array.isArray(items) && items.some(keyless))
      return "an item has no idempotency key, so a second delivery could make a second job — submit its items again yourself, after checking which have a job";
    if (typeof d.at === "number" && d.at - KEY_MARGIN_MS < now - KEY_DEDUPE_DAYS * DAY_MS)
      return `it is ${Math.floor((now - d.at) / DAY_MS)} days old, and an idempotency key dedupes for ${KEY_DEDUPE_DAYS} days: a job its items made may be made twice — check the jobs, and submit again the items that have none`;
    return "";
  }
  if (source.startsWith("outbox:"))
    return "an outbox record is known downstream by its outbox seq, which a redrive cannot keep — its content is in its message";
  if (source.startsWith("batch:") || source.startsWith("tracker:"))
    return "the coordinator refused this item itself, and would again — fix it and submit it again";
  return "no queue takes a message of this kind back";
}
