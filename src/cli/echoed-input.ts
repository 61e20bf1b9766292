/**
 * @module cli/echoed-input
 * How much of what was typed an error line shows back: at most ISSUE_TEXT_BYTES of UTF-8 (core/bytes, the bound the
 * coordinator puts on the input its own errors echo), cut with "…". Shown whole, a 900-byte serial key, unknown
 * command, option, argument, choice or id filled the `✘ ERROR` line with itself, pushing the rule and the fix off the
 * screen of the person who pasted the wrong buffer.
 */
import { clipUtf8, ISSUE_TEXT_BYTES, utf8Bytes } from "../core/bytes.ts";

/** `typed`, cut to ISSUE_TEXT_BYTES of UTF-8 with "…" after a cut; itself when it fits. For `"${echoed(x)}"`. */
export function echoed(typed: string): string {
  return clipUtf8(typed, ISSUE_TEXT_BYTES);
}

/**
 * `typed` as a JSON string, cut as `echoed` does, followed by its size when cut: `"kkk…" (900 bytes)` — the size says
 * why it was refused where a length limit is the rule broken.
 */
export function quotedInput(typed: string): string {
  const shown = echoed(typed);
  return shown === typed ? JSON.stringify(typed) : `${JSON.stringify(shown)} (${utf8Bytes(typed)} bytes)`;
}
