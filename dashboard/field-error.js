/**
 * @module dashboard/field-error
 * A form's refusal tied to the box it is about: the status line says it (announced: role=status), the box is marked
 * `aria-invalid` and names that line in its `aria-describedby`, so a screen reader on the box reads what is wrong
 * with it — the line alone was read once, somewhere else on the page, and the box said nothing (WCAG 3.3.1).
 */
import { showError } from "./dom.js";
import { refusedBy, unmarkBox } from "./status-text.js";

let made = 0;

/**
 * Says `message` in `status` (dom.js showError) and marks `input` invalid, described by `status`, until its value
 * next changes: then the words go too, when no other box is still refused by them and nothing has been written over
 * them since (the marks went with them then: status-text.js showError); the line gets an id when it has none. Focus
 * moves to `input` unless `focus` is false.
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} input
 * @param {HTMLElement} status a statusLine
 * @param {string} message
 * @param {{ focus?: boolean }} [opts]
 */
export function fieldError(input, status, message, opts = {}) {
  // The same refusal about one more box (sign-in's "Enter a token and a product" marks both empty boxes): said again
  // (a live region says a rewrite), the box it marked kept. Other words are another refusal: showError unmarks the
  // boxes the earlier one marked, which were described by words no longer about them.
  if (status.hasAttribute("data-field-error") && status.textContent === message) status.textContent = message;
  else showError(status, message);
  markField(input, status);
  if (opts.focus !== false) input.focus();
}

/**
 * `fieldError`'s marks without its words or focus: `input` is invalid, described by `status` (given an id when it
 * has none, and marked `data-field-error`), until its value next changes, which also takes the words away.
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} input @param {HTMLElement} status
 */
function markField(input, status) {
  if (!status.id) status.id = `field-error-${++made}`;
  input.setAttribute("aria-invalid", "true");
  const ids = (input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
  if (!ids.includes(status.id)) input.setAttribute("aria-describedby", [...ids, status.id].join(" "));
  status.setAttribute("data-field-error", ""); // a read's failure is said beside it, not over it (status-text.js)
  const said = status.textContent;
  input.addEventListener(
    "input",
    () => {
      unmarkBox(input, status.id);
      // The line drawn in its place when a redraw replaced it (a Fleet card; this box kept: kept-box.js): clearing
      // the one gone from the page left the words on the card.
      const line = status.isConnected ? status : (document.getElementById(status.id) ?? status);
      // The refusal was about the value now edited: its words go too, unless another box is still refused by them
      // (sign-in's "Enter a token and a product" marks both empty boxes). They stayed, on every page with a form.
      if (refusedBy(line).length === 0 && line.hasAttribute("data-field-error") && line.textContent === said)
        showError(line);
    },
    { once: true },
  );
}

/**
 * The body field a server's refusal is about: the first of its `issues` (problem+json of a `validation_failed`,
 * worker/problem fromZod: `{ path: "body.seats", message }`) whose path is a body field, as `seats`; a nested
 * field's path keeps its dots (`breaker.failureThreshold`, `capabilities.0`). "" when the refusal names none (or is not a refusal).
 * @param {unknown} err an ApiError (api.js) or anything thrown
 * @returns {string}
 */
export function refusedField(err) {
  const issues = /** @type {any} */ (err)?.body?.issues;
  if (!Array.isArray(issues)) return "";
  for (const issue of issues) {
    const path = typeof issue?.path === "string" ? issue.path : "";
    if (path.startsWith("body.") && path.length > 5) return path.slice(5);
  }
  return "";
}

/**
 * Says a write's refusal in `status`, tied to the box it is about when the server named one of `boxes` (by body
 * field, `refusedField`, or the field an array's item is in): marked and focused as `fieldError` does; otherwise
 * only said (dom.js showError).
 * @param {unknown} err @param {HTMLElement} status @param {string} message
 * @param {Record<string, HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement | undefined>} boxes by body field
 */
export function refusalError(err, status, message, boxes) {
  // The longest leading part of the path that names a box: an array's item (`capabilities.0`) is its box's.
  const parts = refusedField(err).split(".");
  let box;
  for (let n = parts.length; n > 0 && !box; n--) {
    const field = parts.slice(0, n).join(".");
    if (Object.hasOwn(boxes, field)) box = boxes[field];
  }
  if (box) fieldError(box, status, message);
  else showError(status, message);
}

/**
 * What a redraw would lose of the boxes under `root` marked by `fieldError`: call before replacing them; the
 * function it returns marks again each box drawn in its place (same id) that still holds the value refused, described
 * by the line of the same id — a poll's redraw of a card dropped the mark while the refusal's words stayed. A box kept
 * through the redraw (kept-box.js), marked still, has its line drawn anew marked as its refusal again.
 * @param {ParentNode} root
 * @returns {() => void}
 */
export function keepFieldErrors(root) {
  const marked = [...root.querySelectorAll('[aria-invalid="true"][id]')].map((el) => ({
    id: el.id,
    value: /** @type {HTMLInputElement} */ (el).value,
    lines: (el.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean),
  }));
  return () => {
    for (const { id, value, lines } of marked) {
      const box = /** @type {HTMLInputElement | null} */ (document.getElementById(id));
      if (!box || box.value !== value) continue;
      // Still marked: the very box, kept through the redraw (kept-box.js) — its line, drawn anew, is still its refusal.
      const kept = box.getAttribute("aria-invalid") === "true";
      for (const line of lines) {
        const status = document.getElementById(line);
        if (!status?.classList.contains("error")) continue;
        if (kept) status.setAttribute("data-field-error", "");
        else markField(box, status);
      }
    }
  };
}
