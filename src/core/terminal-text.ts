/**
 * @module core/terminal-text
 * Text from elsewhere, made safe to print on a terminal. What the CLI and the agent print in human mode holds text
 * they do not control — an engine's log lines (`gigafactory watch`), job titles that tracker ingest took from an
 * issue anyone could file, review notes, a coordinator's messages — and a terminal obeys the control characters
 * in it: ESC starts sequences that move the cursor, clear the screen, retitle the window or, in many terminals, write
 * the clipboard (OSC 52); a bare CR lets a line overwrite what came before it on screen. Each control character is
 * shown instead as its visible Unicode "control picture" (ESC as `␛`, CR as `␍`), so the text reads as sent and
 * does nothing. Newline and tab keep their meaning. JSON output needs none of this: JSON escapes them.
 */

/** C0 controls except TAB (0x09) and LF (0x0A), DEL, and the C1 controls (0x80–0x9F; 0x9B is a one-byte CSI). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is replaced
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with every control character but newline and tab replaced by a visible picture of it. Pure. */
export function terminalText(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const c = ch.charCodeAt(0);
    if (c < 0x20) return String.fromCharCode(0x2400 + c); // ␀ … ␟ (␛ for ESC, ␍ for CR)
    if (c === 0x7f) return "\u2421"; // ␡
    return "\ufffd"; // a C1 control has no picture of its own
  });
}
