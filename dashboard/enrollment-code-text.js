/**
 * @module dashboard/enrollment-code-text
 * How the enrollment codes page (enrollment-codes.js) words a listed code: when it expires ("in 42 min", "expired"),
 * its state, what it binds — and moves those words with the clock, with no read.
 */
import { renderAges } from "./dom.js";
import { counted } from "./format.js";

/**
 * "in 42 min", "in 3 h", "in 6 d"; "expired" once past (moved with the clock on each poller tick: `tickClock`).
 * @param {number} at epoch ms @param {number} [now]
 */
export function expiresText(at, now = Date.now()) {
  // The same instant the state turns "expired" (stateText): rounding said "expired" half a second before the state did.
  if (at <= now) return "expired";
  const s = Math.ceil((at - now) / 1000);
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return `in ${Math.floor(s / 60)} min`;
  if (s < 86400) return `in ${Math.floor(s / 3600)} h`;
  return `in ${Math.floor(s / 86400)} d`;
}

/** A listed code's state at `now`: the API lists only unused codes. @param {number} expiresAt @param {number} [now] */
export const stateText = (expiresAt, now = Date.now()) => (expiresAt <= now ? "expired" : "unused (works once)");

/**
 * Moves the list's times with the clock — created "… ago", expires "in …", and the state once a code expires — with
 * no read: the list is read when the page opens, on Refresh and after a revoke, and said "in 42 min" for as long as
 * the page stayed open, past the expiry. @param {ParentNode} body @param {number} [now] epoch ms
 */
export function tickClock(body, now = Date.now()) {
  renderAges(body, now);
  for (const el of body.querySelectorAll("[data-expires-at]"))
    el.textContent = expiresText(Number(el.getAttribute("data-expires-at")), now);
  for (const el of body.querySelectorAll("[data-state-expires-at]"))
    el.textContent = stateText(Number(el.getAttribute("data-state-expires-at")), now);
}

/** What a code binds: "any host" or "host box-a", and its seat cap. @param {any} c */
export const bindsText = (c) =>
  `${c.name === undefined ? "any host" : `host ${c.name}`}${c.seats === undefined ? "" : ` · at most ${counted(c.seats, "seat")}`}`;
