// byte-limit.js — text boxes whose server limit is in UTF-8 bytes count UTF-8 bytes. A browser's `maxlength` counts
// UTF-16 code units: a lesson of 400 "漢" fitted the box's 1024 and is 1,200 bytes, refused by the server only after
// the operator wrote it. Each box shows "n / max bytes" of the text it will send (trimmed, as every one is) and the
// page refuses to send it past the limit, naming the bound. The numbers mirror the server's (the dashboard cannot
// import src); test/unit/dashboard-byte-limits.test.ts proves they agree, and that the count is the server's.

import { h } from "./dom.js";

/** The server's limits, in UTF-8 bytes, of the text boxes the dashboard sends. */
export const BYTE_LIMITS = Object.freeze({
  /** A lesson's text: src/core/lessons.ts LESSON_LIMITS.textMaxBytes. */
  lessonText: 1024,
  /** A serial key (a lesson's scope, the gates' freeze): src/core/serial-gates.ts SERIAL_KEY_MAX_BYTES. */
  serialKey: 800,
  /** Why a key is frozen: src/core/serial-gates.ts FREEZE_REASON_MAX_BYTES. */
  freezeReason: 500,
  /** A review's comment: src/core/review.ts MAX_COMMENT_BYTES. */
  reviewComment: 500,
  /** An action's note: src/shared/api.ts ACTION_NOTE_MAX_BYTES. */
  actionNote: 16_000,
});

/**
 * UTF-8 bytes of `text`, as the server counts them (src/core/bytes.ts utf8Bytes: a lone surrogate is 3, as U+FFFD).
 * @param {string} text
 * @returns {number}
 */
export function utf8Bytes(text) {
  return new TextEncoder().encode(text).length;
}

/**
 * What a box says of `value` under `max` bytes: the bytes of its trimmed text (what is sent), the counter's words,
 * and the problem to show when over. Pure.
 * @param {string} value
 * @param {number} max
 * @returns {{ bytes: number, over: boolean, text: string, problem: string | null }}
 */
export function byteCount(value, max) {
  const bytes = utf8Bytes(value.trim());
  const over = bytes > max;
  const problem = over ? `at most ${max} bytes of UTF-8, and this is ${bytes} (漢 is 3 bytes, an emoji 4)` : null;
  return { bytes, over, text: `${bytes} / ${max} bytes`, problem };
}

/**
 * Limits `input` (an input or textarea with an id) to `max` UTF-8 bytes of its trimmed text: a live counter (to put
 * beside it), the box marked invalid past the limit. `maxlength` is set to `max` as a first cut only: a UTF-16 unit
 * is at least one byte, so it never stops text the server takes.
 * @param {HTMLInputElement | HTMLTextAreaElement} input
 * @param {number} max
 * @returns {{ counter: HTMLElement, problem: () => string | null }} `problem()` re-counts (after the page set the
 *   value itself, too) and gives the message to show when over, else null
 */
export function byteLimited(input, max) {
  input.setAttribute("maxlength", String(max));
  const counter = h("span", { class: "byte-count", id: `${input.id}-bytes`, "aria-live": "polite" });
  input.setAttribute("aria-describedby", counter.id);
  const update = () => {
    const count = byteCount(input.value, max);
    counter.textContent = count.text;
    counter.classList.toggle("over", count.over);
    if (count.over) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    input.setCustomValidity(count.problem ?? "");
    return count.problem;
  };
  input.addEventListener("input", update);
  update();
  return { counter, problem: update };
}
