/**
 * @module dashboard/status-text
 * What a status line (dom.js statusLine) says, and who may write over it: an action's outcome or a box's refusal
 * (field-error.js) stays until the next action; a read's outcome (a poll's failure, "Loading…", "No budget is set…")
 * is written only over what reads wrote. A read's failure while the line holds an action's outcome or a box's refusal
 * is said on a line of its own just after it: written over "Budget saved.", a poll 5 s on took the answer away before
 * it was read (and the next poll that worked cleared the line); written over a refusal, the refused box's
 * description (aria-describedby) read "Cannot load the budget…" — not what was wrong with the box.
 */

import { afterDrawn } from "./announce.js";

/** @type {WeakMap<Element, Element>} each status line's own line for a read's failure, while it has one */
const asides = new WeakMap();
/** @type {WeakMap<Element, string>} a read's failure for a line just put beside its status line, not yet drawn */
const unsaid = new WeakMap();

/**
 * Show an error (or clear it) in an element made by statusLine/errorBox; a box's refusal said there before is over,
 * and so are its marks: a box refused there is valid again and no longer described by the line (`unmarkBox`) — it
 * was read "Budget saved." or "x is open" as what was wrong with it, and a second refusal's words about another box.
 * @param {Element} el
 * @param {string} [message]
 */
export function showError(el, message) {
  if (el.hasAttribute("data-field-error")) for (const box of refusedBy(el)) unmarkBox(box, el.id);
  el.removeAttribute("data-load-error");
  el.removeAttribute("data-read-note");
  el.removeAttribute("data-field-error");
  el.classList.toggle("error", Boolean(message));
  el.textContent = message ?? "";
}

/**
 * Says a read's failure on the line beside `el` (id and data-testid `<el's>-read`), put just after it when first
 * needed: put there empty, and written once drawn (announce.js `afterDrawn`) — a live region inserted already holding
 * its text is not announced by some screen readers. Not written when the line is gone by then (a read worked).
 * @param {Element} el @param {string} message
 */
function showAside(el, message) {
  const had = asides.get(el);
  if (had?.isConnected) {
    if (unsaid.has(had))
      unsaid.set(had, message); // not drawn yet: the latest failure is what it will say
    else showLoadError(had, message);
    return;
  }
  const aside = asideOf(el);
  unsaid.set(aside, message);
  afterDrawn(() => {
    const latest = unsaid.get(aside);
    unsaid.delete(aside);
    if (latest && aside.isConnected) showLoadError(aside, latest);
  });
}

/** A new, empty line for a read's failure, put just after `el`. @param {Element} el @returns {Element} */
function asideOf(el) {
  const aside = el.ownerDocument.createElement("p");
  aside.className = "status";
  aside.setAttribute("role", "status");
  aside.setAttribute("aria-live", "polite");
  if (el.id) aside.id = `${el.id}-read`;
  const testid = el.getAttribute("data-testid");
  if (testid) aside.setAttribute("data-testid", `${testid}-read`);
  el.after(aside);
  asides.set(el, aside);
  return aside;
}

/** Takes away `el`'s line for a read's failure, if it has one: a read has worked, or the line itself says it. */
function dropAside(/** @type {Element} */ el) {
  asides.get(el)?.remove();
  asides.delete(el);
}

/**
 * A read's outcome in a status line the panel's actions also write: a failed read says so, and the next read
 * that works clears that, but never what an action said in between (a refresh landing after a click wiped the
 * click's refusal; a "Cannot load" stayed after the server came back). While the line holds an action's words (its
 * outcome, "Saving…", a box's refusal: anything not a read's own), the failure goes on a line of its own just after
 * it, gone with the next read that works or the next failure the line itself can say (once the next action cleared
 * it). A read's own word is said with `showReadNote`, which a failure may write over.
 * @param {Element} el
 * @param {string} [message] what failed, or nothing when the read worked
 */
export function showLoadError(el, message) {
  if (message && holdsActionWords(el)) return showAside(el, message);
  dropAside(el);
  if (message) {
    // The same failure at the next poll is no news: written again, the live region said it again every few seconds.
    if (el.hasAttribute("data-load-error") && el.textContent === message) return;
    showError(el, message);
    el.setAttribute("data-load-error", "");
  } else if (el.hasAttribute("data-load-error")) showError(el);
}

/** Whether `el` says something a read did not write: an action's outcome, its "…ing" while out, a box's refusal. */
const holdsActionWords = (/** @type {Element} */ el) =>
  el.textContent !== "" && !el.hasAttribute("data-load-error") && !el.hasAttribute("data-read-note");

/**
 * An action's outcome, answered by the coordinator with what the page's read shows ("Budget saved.", "approved: job
 * is now merging"): written over the line as `showError` would, and a read's failure said beside a refusal is over —
 * the answer is drawn, and "Cannot load …" stayed under the outcome until the next read that worked (a poll 5 s on,
 * the next review event).
 * @param {Element} el a statusLine @param {string} text
 */
export function showDone(el, text) {
  dropAside(el);
  showError(el);
  el.textContent = text;
}

/**
 * An action's outcome true only while what it is about holds ("Paused: …" while the budget is paused, "Budget saved."
 * while its terms are the ones saved): said as `showDone`, and taken away by the first read that finds `terms`
 * changed (a resume or an edit made elsewhere) — it stood, until the next action, beside a page that said otherwise.
 * Whatever the line said since (a refusal, another outcome) is left.
 * @param {Element} el a statusLine
 * @returns {{ say: (text: string, terms: string) => void, read: (terms: string) => void }} `terms`: what the outcome
 *   is about, as one string (equal strings: unchanged)
 */
export function heldOutcome(el) {
  /** @type {{ text: string, terms: string } | null} */
  let held = null;
  return {
    say(text, terms) {
      showDone(el, text);
      held = { text, terms };
    },
    read(terms) {
      if (!held || held.terms === terms) return;
      if (el.textContent === held.text && !el.hasAttribute("data-load-error")) showError(el);
      held = null;
    },
  };
}

/**
 * A read's own word in a status line the page's actions and form also write ("Loading…", "No budget is set…"):
 * written only over what reads wrote — nothing, a load error, an earlier word of a read — never over an action's
 * outcome or a box's refusal, which stay until the next action (a poll every 5 s wrote "No budget is set" over
 * "Ceiling: enter a number", which the box still named as its description). The same word is not written again (a
 * live region said it again at every poll); "" takes a read's word away, and only that. A read's word is a read
 * that worked: a failure said beside a refusal (`showLoadError`) is over.
 * @param {Element} el a statusLine @param {string} text
 */
export function showReadNote(el, text) {
  dropAside(el);
  const note = el.hasAttribute("data-read-note");
  if (!note && !el.hasAttribute("data-load-error") && el.textContent !== "") return;
  if (text === "") {
    if (note) showError(el);
    return;
  }
  if (note && el.textContent === text) return;
  showError(el);
  el.textContent = text;
  el.setAttribute("data-read-note", "");
}

/**
 * The boxes marked invalid and described by the line `el` (field-error.js marks them); none when it has no id.
 * @param {Element} el @returns {HTMLElement[]}
 */
export function refusedBy(el) {
  if (!el.id) return [];
  return [...el.ownerDocument.querySelectorAll(`[aria-invalid="true"][aria-describedby~="${CSS.escape(el.id)}"]`)];
}

/**
 * Takes a refusal's marks off `box`: its description no longer names the line `lineId`, and it is valid again unless
 * it holds its own problem (byte-limit.js marks a box over its limit with a custom validity).
 * @param {Element} box an input, textarea or select @param {string} lineId
 */
export function unmarkBox(box, lineId) {
  const ids = (box.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((id) => id && id !== lineId);
  if (ids.length > 0) box.setAttribute("aria-describedby", ids.join(" "));
  else box.removeAttribute("aria-describedby");
  if (!(/** @type {HTMLInputElement} */ (box).validity?.customError)) box.removeAttribute("aria-invalid");
}
