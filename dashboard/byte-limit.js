// byte-limit.js — text boxes whose server limit is in UTF-8 bytes count UTF-8 bytes. A browser's `maxlength` counts
// UTF-16 code units: a lesson of 400 "漢" fitted the box's 1024 and is 1,200 bytes, refused by the server only after
// the operator wrote it. Each box shows "n / max bytes" of the text it will send (trimmed, as every one is) and the
// page refuses to send it past the limit, naming the bound. The numbers mirror the server's (the dashboard cannot
// import src); test/unit/dashboard-byte-limits.test.ts proves they agree, and that the count is the server's.

import { announce } from "./announce.js";
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

// The control characters the server refuses (src/shared/plain-text.ts): in free text every C0 control but tab and
// line feed (and a CR only before an LF), and DEL; in a name (a serial key) every C0, DEL and C1 control. Refused
// there as a 400 "no control characters but tab and newline (U+0000–U+001F, U+007F)" naming no character and no
// place — one pasted into a box (a form feed from a PDF, a terminal's ESC) is invisible in it. Said here instead,
// with where it is, before anything is sent. (A textarea's value has LF line ends, an input's none: a CR is rare.)
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const TEXT_CONTROL = /\r(?!\n)|[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const NAME_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Names of the controls a pasted text most often holds; any other is shown by its code point only. */
const CONTROL_NAMES = /** @type {Record<number, string>} */ ({
  8: "backspace",
  9: "tab",
  10: "line break",
  11: "vertical tab",
  12: "form feed",
  13: "carriage return",
  27: "ESC, a terminal escape",
  127: "DEL",
});

/**
 * Why the server would refuse `text` for a control character in it, or null: `kind` "text" (free text) or "name".
 * Said as the end of "the note is …": `not plain text: it holds U+000C (form feed) at line 2, column 3; remove it`.
 * @param {string} text @param {"text" | "name"} kind @returns {string | null}
 */
export function controlProblem(text, kind) {
  const at = (kind === "name" ? NAME_CONTROL : TEXT_CONTROL).exec(text)?.index;
  if (at === undefined) return null;
  const code = text.charCodeAt(at);
  const lines = text.slice(0, at).split("\n");
  const where = `line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1}`;
  const name = CONTROL_NAMES[code] ? ` (${CONTROL_NAMES[code]})` : "";
  return `not plain text: it holds U+${code.toString(16).toUpperCase().padStart(4, "0")}${name} at ${where}; remove it`;
}

/**
 * What a box says of `value` under `max` bytes: the bytes of its trimmed text (what is sent), the counter's words,
 * and the problem to show when over, or when it holds a control character the server refuses (`controlProblem`;
 * `kind`: "name" for a serial key, else "text"). Pure.
 * @param {string} value
 * @param {number} max
 * @param {"text" | "name"} [kind]
 * @returns {{ bytes: number, over: boolean, text: string, problem: string | null }}
 */
export function byteCount(value, max, kind = "text") {
  const sent = value.trim();
  const bytes = utf8Bytes(sent);
  const over = bytes > max;
  const problem = over
    ? `at most ${max} bytes of UTF-8, and this is ${bytes} (漢 is 3 bytes, an emoji 4)`
    : controlProblem(sent, kind);
  return { bytes, over, text: `${bytes} / ${max} bytes`, problem };
}

/**
 * Limits `input` (an input or textarea with an id) to `max` UTF-8 bytes of its trimmed text: a counter (to put
 * beside it), the box marked invalid past the limit. `maxlength` is set to `max` as a first cut only: a UTF-16 unit
 * is at least one byte, so it never stops text the server takes.
 * @param {HTMLInputElement | HTMLTextAreaElement} input
 * @param {number} max
 * @param {"text" | "name"} [kind] "name" for a serial key: no control character at all (`controlProblem`)
 * @returns {{ counter: HTMLElement, problem: () => string | null }} `problem()` re-counts (after the page set the
 *   value itself, too) and gives the message to show when over, else null
 */
export function byteLimited(input, max, kind = "text") {
  input.setAttribute("maxlength", String(max));
  // Not a live region: one was read out at every keystroke ("12 / 1024 bytes", "13 / 1024 bytes", …) over what the
  // reader typed. The count is the box's description (read with the box); only crossing the limit is said.
  const counter = h("span", { class: "byte-count", id: `${input.id}-bytes` });
  input.setAttribute("aria-describedby", counter.id);
  /** @type {string | null | undefined} the problem last counted; undefined before the first count */
  let said;
  const update = () => {
    const count = byteCount(input.value, max, kind);
    if (said !== undefined && (said === null) !== (count.problem === null))
      announce(count.problem ?? `${count.text}: within the limit`);
    said = count.problem;
    counter.textContent = count.text;
    counter.classList.toggle("over", count.over);
    if (count.problem) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    input.setCustomValidity(count.problem ?? "");
    return count.problem;
  };
  input.addEventListener("input", update);
  update();
  return { counter, problem: update };
}
