/**
 * @module dashboard/lesson-rows
 * How the lessons page (lessons.js) draws its list: a lesson's row — its words, whose they are, its scope, how often
 * it was seen, when updated, and an operator's Archive — Restore for an archived one — (busy while its PATCH is
 * out) — and the table around them.
 */
import { busyAttr } from "./busy.js";
import { ago, h, when } from "./dom.js";

/** @param {any} l a Lesson (src/core/lessons.ts) */
function scopeText(l) {
  const parts = [
    ...(l.capabilities.length ? [`requires ${l.capabilities.join(" + ")}`] : []),
    ...(l.engine ? [`engine ${l.engine}`] : []),
    ...(l.serialKey ? [`serial ${l.serialKey}`] : []),
  ];
  return parts.length ? parts.join(" · ") : "every job";
}

/**
 * Who a lesson's words are: the coordinator's (`auto (trigger)`), an operator's own (their name), or an automatic
 * lesson an operator took over (`… · edited by <actor>`: its repeats count but keep the operator's words).
 * @param {any} l a Lesson (src/core/lessons.ts)
 */
function sourceText(l) {
  if (l.source !== "auto") return l.createdBy;
  const auto = `auto (${l.trigger ?? "?"})`;
  return typeof l.editedBy === "string" ? `${auto} · edited by ${l.editedBy}` : auto;
}

/**
 * A lesson's row. @param {any} l a Lesson @param {boolean} busy its archive is out
 * @param {(id: string, button: HTMLButtonElement) => void} onArchive
 */
export const lessonRow = (l, busy, onArchive) =>
  h(
    "tr",
    { dataset: { lessonId: l.id } },
    h("td", { class: "lesson-text" }, l.text),
    h("td", { class: "lesson-source" }, sourceText(l)),
    h("td", null, scopeText(l)),
    h("td", { class: "num" }, String(l.count)),
    h("td", { title: when(l.updatedAt), "data-at": l.updatedAt }, ago(l.updatedAt)), // moved by renderAges
    h(
      "td",
      { "data-needs": "operator" }, // Archive (role.js)
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          "aria-label": `${l.archived ? "Restore" : "Archive"} lesson ${l.id}`,
          "data-focus-key": `archive:${l.id}`,
          ...busyAttr(busy),
          onclick: (/** @type {Event} */ ev) => onArchive(l.id, /** @type {HTMLButtonElement} */ (ev.currentTarget)),
        },
        l.archived ? "Restore" : "Archive",
      ),
    ),
  );

/** The table of `rows`, newest first. @param {HTMLElement[]} rows */
export const lessonsTable = (rows) =>
  h(
    "table",
    { class: "lessons" },
    h("caption", { class: "sr-only" }, "Lessons, newest first"),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        ...["Lesson", "Source", "Scope", "Seen", "Updated"].map((t) => h("th", { scope: "col" }, t)),
        // An empty header names nothing; the column is an operator's (role.js), as its buttons.
        h("th", { scope: "col", "data-needs": "operator" }, h("span", { class: "sr-only" }, "Action")),
      ),
    ),
    h("tbody", null, ...rows),
  );
