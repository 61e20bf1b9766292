// busy.js — a button whose request is out: greyed out and deaf to presses, yet still holding keyboard focus.
//
// Pages greyed a button out with `disabled` while its request was out (a double click sent two). A focused button that
// becomes `disabled` drops focus to <body>: a keyboard or screen-reader user lost their place for as long as the
// request took, and focusReturn (dom.js) could only give it back after the answer. A busy button is marked
// `aria-disabled="true"` instead — read out as unavailable, drawn greyed out (style.css keys the look on the same
// attribute, so look and state cannot part), focus stays on it — and `guardBusy` (installed once by app.js) drops
// every click on it, a keyboard press included (Enter and Space on a button are clicks), and the implicit submit
// (Enter in a form's text box clicks its submit button first, and a dropped click submits nothing).
//
// `disabled` stays for what a button never offers in the state shown (Approve outside review, Pause while paused,
// a control a role may not use): that is not a moment's wait, and it keeps the button out of the Tab order.

/** @param {Element | null | undefined} el @returns {boolean} whether `el`'s request is out (`setBusy`) */
export const isBusy = (el) => el?.getAttribute("aria-disabled") === "true";

/**
 * Mark `el` busy while its request is out, or not. Never touches `disabled`, so focus stays where it is.
 * @param {Element | null | undefined} el @param {boolean} busy
 */
export function setBusy(el, busy) {
  if (!el) return;
  if (busy) el.setAttribute("aria-disabled", "true");
  else el.removeAttribute("aria-disabled");
}

/**
 * The attribute of a button drawn while its request may be out: spread into `h(…)`'s attributes — `{ ...busyAttr(x) }`.
 * @param {boolean} busy @returns {Record<string, string>}
 */
export const busyAttr = (busy) => (busy ? { "aria-disabled": "true" } : {});

/**
 * Arm a button from two causes: `busy` (a request is out: aria-disabled, `setBusy`) and `off` (the state shown never
 * offers it: `disabled`). While busy `disabled` is left as it was — turning it on then (a feed event re-rendering a
 * job whose stage moved) dropped the focus the busy mark exists to keep; the next arm after the answer sets it.
 * @param {HTMLButtonElement} button @param {{ busy: boolean, off: boolean }} state
 */
export function arm(button, { busy, off }) {
  setBusy(button, busy);
  if (!busy) button.disabled = off;
}

/**
 * Arms each button of `group` (`arm`), keeping keyboard focus on the group: a focused button the state shown stops
 * offering (made `disabled`, which drops focus to <body> — a job cancelled elsewhere greyed out the focused Cancel, a
 * budget paused from the CLI the focused Pause: the next Tab or screen-reader line started from the page's top) hands
 * it to the group's first button still offered, else to the first of `fallbacks` that takes it (an empty status line
 * is not drawn, and takes none). A busy button's own answer is left to its press's code (dom.js focusReturn).
 * @param {Array<[HTMLButtonElement, { busy: boolean, off: boolean }]>} group
 * @param {Array<HTMLElement | null>} [fallbacks] focusable from script (tabindex -1)
 */
export function armGroup(group, fallbacks = []) {
  const doc = group[0]?.[0].ownerDocument;
  const held = group.find(([b]) => b === doc?.activeElement && !isBusy(b))?.[0];
  for (const [button, state] of group) arm(button, state);
  if (!held?.disabled) return;
  const offered = group.find(([b]) => !b.disabled && !b.hidden)?.[0];
  for (const el of [offered, ...fallbacks]) {
    el?.focus({ preventScroll: true });
    if (el && doc?.activeElement === el) return;
  }
}

/** The button (or submit input) `target` is in, or null. @param {EventTarget | null} target */
const buttonOf = (target) => (target instanceof Element ? target.closest("button, input[type=submit]") : null);

/**
 * Drop every press of a busy button before any page sees it: clicks (mouse, Enter, Space) and a form's submit by it.
 * Install once, in the capture phase, so it runs before the pages' own listeners. @param {Document} doc
 */
export function guardBusy(doc) {
  doc.addEventListener(
    "click",
    (ev) => {
      if (!isBusy(buttonOf(ev.target))) return;
      ev.preventDefault(); // a busy submit button's click must not submit its form either
      ev.stopImmediatePropagation();
    },
    true,
  );
  doc.addEventListener(
    "submit",
    (ev) => {
      const by = /** @type {SubmitEvent} */ (ev).submitter;
      const form = ev.target instanceof HTMLFormElement ? ev.target : null;
      // Enter in a text box: the form's default button is its first submit button, busy or not.
      if (!isBusy(by ?? form?.querySelector("button[type=submit], input[type=submit]"))) return;
      ev.preventDefault();
      ev.stopImmediatePropagation();
    },
    true,
  );
}
