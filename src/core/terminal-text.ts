/**
 * @module core/terminal-text
 * Text from elsewhere, made safe to print on a terminal. What the CLI and the agent print in human mode holds text
 * they do not control — an engine's log lines (`gigafactory watch`), job titles that tracker ingest took from an
 * issue anyone could file, review notes, a coordinator's messages — and a terminal obeys the control characters
 * in it: ESC starts sequences that move the cursor, clear the screen, retitle the window or, in many terminals, write
 * the clipboard (OSC 52); a bare CR lets a line overwrite what came before it on screen. Each control character is
 * shown instead as its visible Unicode "control picture" (ESC as `␛`, CR as `␍`), so the text reads as sent and
 * does nothing. Newline and tab keep their meaning, and so does a CR right before a newline (a Windows line end: it
 * overwrites nothing, and every line of a CRLF log shown on a terminal ended in `␍`). JSON output needs none of this:
 * JSON escapes them.
 *
 * Unicode's bidi controls are obeyed too, by the terminal's text layout: a job title holding U+202E (right-to-left
 * override) showed the rest of its line — a table row's other columns included — reversed, so `ok: 1.exe` could read
 * as `exe.1 :ko` ("Trojan Source"). They have no picture, and each is shown as U+FFFD, as cli/read-answers-ops
 * `inline` and core/lessons do; right-to-left text itself (Hebrew, Arabic) keeps its letters and natural order.
 */

/**
 * C0 controls except TAB (0x09), LF (0x0A) and a CR (0x0D) right before an LF, DEL, the C1 controls (0x80–0x9F; 0x9B
 * is a one-byte CSI), and the bidi controls: the Arabic letter mark (U+061C), LRM and RLM (U+200E–200F), the
 * embeddings and overrides (U+202A–202E) and the isolates (U+2066–2069).
 */
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is replaced
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/**
 * `text` with every control character but newline, tab and a CRLF's CR replaced by a visible picture of it (U+FFFD
 * for one with no picture: a C1 or bidi control), so each takes one terminal column and does nothing. Pure.
 */
export function terminalText(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const c = ch.charCodeAt(0);
    if (c < 0x20) return String.fromCharCode(0x2400 + c); // ␀ … ␟ (␛ for ESC, ␍ for CR)
    if (c === 0x7f) return "\u2421"; // ␡
    return "\ufffd"; // a C1 or bidi control has no picture of its own
  });
}
