/**
 * @module dashboard/field-error
 * A form's refusal tied to the box it is about: the status line says it (announced: role=status), the box is marked
 * `aria-invalid` and names that line in its `aria-describedby`, so a screen reader on the box reads what is wrong
 * with it — the line alone was read once, somewhere else on the page, and the box said nothing (WCAG 3.3.1).
 */
import { showError } from "./dom.js";

let made = 0;

/**
 * Says `message` in `status` (dom.js showError) and marks `input` invalid, described by `status`, until its value
 * next changes (or `clearFieldError`); the line gets an id when it has none. Focus moves to `input` unless
 * `focus` is false.
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} input
 * @param {HTMLElement} status a statusLine
 * @param {string} message
 * @param {{ focus?: boolean }} [opts]
 */
export function fieldError(input, status, message, opts = {}) {
  showError(status, message);
  if (!status.id) status.id = `field-error-${++made}`;
  input.setAttribute("aria-invalid", "true");
  const ids = (input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter(Boolean);
  if (!ids.includes(status.id)) input.setAttribute("aria-describedby", [...ids, status.id].join(" "));
  input.addEventListener("input", () => clearFieldError(input, status), { once: true });
  if (opts.focus !== false) input.focus();
}

/**
 * Takes `fieldError`'s marks off `input`: its description no longer names `status`, and it is valid again unless
 * the box holds its own problem (byte-limit.js marks a box over its limit with a custom validity).
 * @param {HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement} input
 * @param {HTMLElement} status
 */
export function clearFieldError(input, status) {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((id) => id && id !== status.id);
  if (ids.length > 0) input.setAttribute("aria-describedby", ids.join(" "));
  else input.removeAttribute("aria-describedby");
  if (!input.validity?.customError) input.removeAttribute("aria-invalid");
}
