/**
 * @module dashboard/kept-box
 * The box someone is typing in, kept through a poll's redraw of what holds it (a Fleet card, drawn anew when the
 * factory list is read again): the very element, moved into the redrawn place, so its caret, selection and undo
 * history stay. A box drawn anew, with the typed value put back and focus moved to it by id, had its caret at the
 * end — a digit typed mid-number after the redraw went last ("12", caret after the 1, redraw, "3": 123, not 132) —
 * and a number box's caret cannot be read to put it back (no selection API on type=number).
 */

/** The elements one types in, whose caret a redraw would lose. */
const typedIn = (/** @type {Element | null} */ el) =>
  el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement;

/** What stays the kept box's own: its marks of a refusal (field-error.js) and what was typed. */
const OWN = new Set(["aria-invalid", "aria-describedby", "value"]);

/**
 * Call before redrawing `container`, and what it returns after. The box under `container` that holds keyboard focus
 * (an input or textarea with an id) takes the place of the one drawn anew under its id, takes the new one's attributes
 * (its label, after a factory renamed) but its own marks and value, and is focused again. Nothing is done when focus
 * was elsewhere or the redraw drew no box of that id. A script reading such a box must find it by id: the code that
 * drew the new one holds an element no longer on the page.
 * @param {Element} container
 * @returns {() => void}
 */
export function keepTyping(container) {
  const active = document.activeElement;
  const box = typedIn(active) && active?.id && container.contains(active) ? /** @type {HTMLElement} */ (active) : null;
  return () => {
    if (!box) return;
    const drawn = document.getElementById(box.id);
    if (!drawn || drawn === box || !typedIn(drawn) || !container.contains(drawn)) return;
    for (const { name, value } of drawn.attributes) if (!OWN.has(name)) box.setAttribute(name, value);
    drawn.replaceWith(box);
    box.focus({ preventScroll: true });
  };
}
