/**
 * @module dashboard/dead-letter-rows
 * What the Dead letters page (dead-letters.js) reads and draws of its list: the first `pages` pages of GET
 * …/dead-letters, each dead letter once; a row (when, source, code, a summary of its message opened on demand, the
 * error, the tries) with its action cell — Redrive, or why the server would refuse it whatever is tried — and the
 * table and its empty row.
 */
import { DEAD_LETTER_PAGE } from "./answers.js";
import { api } from "./api.js";
import { busyAttr } from "./busy.js";
import { messageSummary, messageText, notRedrivable, reasonCode } from "./dead-letter-text.js";
import { ago, h, isolated, shortText, when } from "./dom.js";
import { scrollBox } from "./scroll-box.js";

/** Dead letters per read: the API's default page (a page of bodies is also cut at ~4 Mi characters by the API). */
const PAGE = 100;

/**
 * The first `pages` pages, newest first, each dead letter once.
 * @param {import("./live.js").Live} live @param {number} pages ≥ 1
 * @returns {Promise<{ items: any[], read: number, nextCursor?: string, partial: boolean }>}
 */
export async function readPages(live, pages) {
  const byId = new Map();
  /** @type {string | undefined} */
  let cursor;
  let read = 0;
  let partial = false;
  for (; read < pages && (read === 0 || cursor); read++) {
    const q = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const page = await api(live.session, `/dead-letters?${q}`, { answer: DEAD_LETTER_PAGE });
    if (!Array.isArray(page?.items)) throw new Error("the dead letters answer has no items: is it the coordinator's?");
    for (const d of page.items) if (typeof d?.id === "string" && !byId.has(d.id)) byId.set(d.id, d);
    partial ||= page.partial === true;
    cursor = typeof page.nextCursor === "string" ? page.nextCursor : undefined;
  }
  return { items: [...byId.values()], read, nextCursor: cursor, partial };
}

/**
 * A row's action: Redrive (busy while its redrive is out), or why the server would refuse it whatever is tried (no
 * button to press for nothing).
 * @param {any} d a dead letter @param {number} now ms epoch @param {boolean} busy
 * @param {(d: any, button: HTMLButtonElement) => void} onRedrive
 */
export function redriveAction(d, now, busy, onRedrive) {
  const why = notRedrivable(d, now);
  if (why)
    return h("span", { class: "muted small", "data-testid": "dead-letter-no-redrive" }, `Cannot be redriven: ${why}.`);
  return h(
    "button",
    {
      type: "button",
      class: "secondary small",
      "data-testid": "dead-letter-redrive",
      "data-focus-key": `redrive:${d.id}`,
      "aria-label": `Redrive ${d.id}`,
      ...busyAttr(busy),
      onclick: (/** @type {Event} */ ev) => onRedrive(d, /** @type {HTMLButtonElement} */ (ev.currentTarget)),
    },
    "Redrive",
  );
}

/**
 * One dead letter's row, ending with `actionCell` (the page's: role.js marks it an operator's, and it carries the
 * redrive verdict drawn, judged again with the clock by the page's tick).
 * @param {any} d a dead letter @param {HTMLElement} actionCell
 */
export function letterRow(d, actionCell) {
  // It scrolls (a message of up to 128 KB): a tab stop, so a keyboard can scroll it too (as the job's manifest).
  const pre = h("pre", { class: "dead-letter-message", tabindex: "0", "aria-label": "Message body" });
  const opened = h("details", null, h("summary", { "data-focus-key": `message:${d.id}` }, messageSummary(d.body)), pre);
  // Drawn when opened: 200 bodies of up to 128 KB each, drawn at once, held the page for seconds.
  opened.addEventListener("toggle", () => {
    if (opened.open && !pre.textContent) pre.textContent = messageText(d.body);
  });
  const code = reasonCode(d.reason);
  return h(
    "tr",
    { "data-testid": "dead-letter-row", "data-dead-letter-id": d.id },
    h("td", { title: when(d.at), "data-at": d.at }, ago(d.at)), // moved with the clock (renderAges)
    h("td", { class: "id" }, isolated(shortText(String(d.source), 80))),
    h("td", null, code || "—"),
    h("td", { class: "dead-letter-summary" }, opened),
    h("td", { class: "dead-letter-reason" }, isolated(shortText(String(d.reason), 400))),
    h("td", { class: "num" }, String(d.attempts)),
    actionCell,
  );
}

/** The list's one row when there are no dead letters: what one is. */
export const emptyRow = () =>
  h(
    "tr",
    null,
    h(
      "td",
      { colspan: "7", class: "empty", id: "dead-letters-empty" },
      "No dead letters. A dead letter is a message or record the coordinator could not deliver or process after " +
        "its retries (a history write, a webhook delivery, a submitted job, an outbox record), kept here so it is " +
        "not lost; Redrive sends one back to the queue it came from.",
    ),
  );

/** The table around the rows `body` holds. @param {HTMLElement} body */
export const lettersTable = (body) =>
  scrollBox(
    "table-wrap",
    "Dead letters table",
    { id: "dead-letters-table" },
    h(
      "table",
      { class: "dead-letters" },
      h("caption", { class: "sr-only" }, "Dead letters, newest first"),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ...["When", "Source", "Code", "Message", "Error", "Tries"].map((t) => h("th", { scope: "col" }, t)),
          h("th", { scope: "col", "data-needs": "operator" }, h("span", { class: "sr-only" }, "Action")),
        ),
      ),
      body,
    ),
  );
