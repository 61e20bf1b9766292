// dom.js — small DOM helpers, and the formatters of format.js re-exported (every page imports both from here). Every
// piece of text goes in through textContent (never innerHTML), so job titles, manifests and logs cannot inject markup.

import { when } from "./format.js";

export {
  ago,
  bytes,
  clock,
  duration,
  inSeconds,
  num,
  renderAges,
  timeLeft,
  utcBoundary,
  when,
  wholePercent,
} from "./format.js";
export { heldOutcome, showDone, showError, showLoadError, showReadNote } from "./status-text.js";

/**
 * Create an element: `h("td", { class: "num" }, "3")`. Attributes starting with "on"
 * become listeners; `null`/`false` children and attributes are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown> | null} [attrs]
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else if (key === "dataset" && typeof value === "object") {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, ...children);
  return el;
}

/**
 * @param {Element} el
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function append(el, ...children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

/**
 * Replace an element's children.
 * @param {Element} el
 * @param {...(Node | string | number | null | undefined | false)} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, ...children);
}

/** Bidi embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069). */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

/**
 * `text` as one bidi isolate (FSI … PDI) when it holds a bidi control, else as it is: for someone's text joined into
 * one string with the page's own words (a timeline line), where no <bdi> element can go. An unclosed override in it
 * then ends at the PDI instead of drawing the rest of the line backwards. Its own isolate marks are dropped, so none
 * can close this isolate early. @param {string} text
 */
export function isolated(text) {
  return BIDI_CONTROL.test(text) ? `\u2068${text.replace(/[\u2066-\u2069]/g, "")}\u2069` : text;
}

/**
 * Text that draws nothing: whitespace, format characters (zero-width spaces and joiners, bidi controls, the soft
 * hyphen), control characters, and the blank letters some scripts have (Hangul fillers, the blank Braille pattern).
 */
const BLANK = /^[\s\p{Cf}\p{Cc}\u115f\u1160\u2800\u3164\uffa0]*$/u;

/**
 * A job's title as the page draws it: "(untitled)" for one that draws nothing. The API takes any non-empty title, so
 * " " or a zero-width space made a link of no width on the board — the job could not be opened from it.
 * @param {string} title
 */
export const titleText = (title) => (BLANK.test(title) ? "(untitled)" : title);

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Someone's text on one line in at most `max` graphemes, "…" ending it when cut: whitespace runs read as one space,
 * and a cut never splits a grapheme — a cut by UTF-16 units (`slice`) split an emoji into a lone surrogate, drawn
 * as "�". @param {string} text @param {number} max @returns {string}
 */
export function shortText(text, max) {
  const line = text.replace(/\s+/g, " ");
  if (line.length <= max) return line; // no more graphemes than UTF-16 units
  const parts = Array.from(graphemes.segment(line), (g) => g.segment);
  return parts.length > max ? `${parts.slice(0, max - 1).join("")}…` : line;
}

/** The ten job stages, in lifecycle order (src/core/model.ts STAGES). */
export const STAGES = [
  "queued",
  "blocked",
  "assigned",
  "building",
  "review",
  "testing",
  "shipped",
  "failed",
  "dead_letter",
  "cancelled",
];

/** @param {string} stage */
export const stageLabel = (stage) => stage.replace("_", " ");

/** A coloured stage pill; its colour comes from `.stage-<name>` in style.css. @param {string} stage */
export function stageBadge(stage) {
  return h("span", { class: `badge stage-${stage}`, dataset: { stage } }, stageLabel(stage));
}

/**
 * "preempted" while a job evicted by a critical one waits to run again (the marks clear at its next assignment);
 * null otherwise. @param {any} job
 */
export function preemptedBadge(job) {
  if (!job.preemptedBy) return null;
  const title = `preempted by ${job.preemptedBy}${job.preemptedAt ? ` at ${when(job.preemptedAt)}` : ""}`;
  return h("span", { class: "badge preempted", title, dataset: { preempted: job.preemptedBy } }, "preempted");
}

/** A status line that screen readers announce. @param {string} [cls] */
export function statusLine(cls = "") {
  return h("p", { class: `status ${cls}`.trim(), role: "status", "aria-live": "polite" });
}

/**
 * The element `key` names: by id, else by `data-focus-key` (row buttons whose id would hold someone's text).
 * @param {string} key @returns {HTMLElement | SVGElement | null}
 */
const byFocusKey = (key) =>
  /** @type {HTMLElement | SVGElement | null} */ (
    document.getElementById(key) ?? document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)
  );

/** The name `byFocusKey` finds `el` by again, or "" for an element with neither. @param {Element | null} el */
const focusKeyOf = (el) =>
  el instanceof HTMLElement || el instanceof SVGElement ? el.id || (el.dataset.focusKey ?? "") : "";

/** Whether focus can go to `el`: on the page, shown, not greyed out. @param {HTMLElement | SVGElement | null} el */
const focusable = (el) =>
  Boolean(el?.isConnected && !(/** @type {any} */ (el).hidden) && !(/** @type {any} */ (el).disabled));

/**
 * Where focus goes when the element it was on is gone: an element (a status line with tabindex -1), or a function
 * that finds one once the page is redrawn (the next row's button), or nothing.
 * @typedef {HTMLElement | null | (() => HTMLElement | null | undefined)} FocusFallback
 */

/** @param {FocusFallback} fallback */
const resolve = (fallback) => (typeof fallback === "function" ? (fallback() ?? null) : fallback);

/** Focus is nowhere: on <body>, where a disabled or removed element leaves it. */
const focusLost = () => document.activeElement === null || document.activeElement === document.body;

/**
 * Redraws `container` (`redraw`) keeping keyboard focus on what held it: the element drawn anew under the same id or
 * `data-focus-key`. A poll's redraw replaced the element under focus, and focus fell to the page's top (<body>): an
 * operator tabbing through a list lost their place every few seconds, and Enter then pressed nothing. When that
 * element is gone from the redraw, focus goes to `fallback`, if any.
 * @param {Element} container @param {() => void} redraw @param {FocusFallback} [fallback]
 */
export function redrawKeepingFocus(container, redraw, fallback = null) {
  const active = document.activeElement;
  const inside = Boolean(active && active !== container && container.contains(active));
  const key = inside ? focusKeyOf(active) : "";
  redraw();
  if (!inside || !focusLost()) return;
  const again = key ? byFocusKey(key) : null;
  const target = focusable(again) ? again : resolve(fallback);
  target?.focus({ preventScroll: true });
}

/**
 * Call as a button's request goes out. Busy (busy.js), the button keeps focus meanwhile; but the answer may hide it
 * (the last page read), redraw it (a poll) or take it away (its row gone, or `disabled` for the new state), and focus
 * then fell to <body> — Enter pressed again, or a screen reader's next line, started from the page's top. The
 * function returned, called once the request is over (and its redraw done), gives focus back to the button — or the
 * one drawn anew under its id or `data-focus-key` — when it can take it, else to `fallback` (the status line that
 * says the outcome, or the next row's button). It does nothing when the button did not hold focus, or when focus
 * has moved on since.
 * @param {HTMLElement} button @param {FocusFallback} [fallback]
 * @returns {() => void}
 */
export function focusReturn(button, fallback = null) {
  const had = document.activeElement === button;
  const key = focusKeyOf(button);
  return () => {
    if (!had || !(focusLost() || document.activeElement === button)) return;
    const again = button.isConnected ? button : key ? byFocusKey(key) : null;
    const target = focusable(again) ? again : resolve(fallback);
    target?.focus({ preventScroll: true });
  };
}
