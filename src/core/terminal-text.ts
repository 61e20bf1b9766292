/**
 * @module core/terminal-text
 * Text from elsewhere, made safe to print on a terminal. What the CLI and the agent print in human mode holds text
 * they do not control — an engine's log lines (`gigafactory watch`), job titles that tracker ingest took from an
 * issue anyone could file, review notes, a coordinator's messages — and a terminal obeys the control characters
 * in it: ESC starts sequences that move the cursor, clear the screen, retitle the window or, in many terminals, write
 * the clipboard (OSC 52); a bare CR lets a line overwrite what came before it on screen. Each control character is
 * shown instead as its visible Unicode "control picture" (ESC as `␛`, CR as `␍`), so the text reads as sent and
 * does nothing. Newline and tab keep their meaning, and so does a CR right before a newline (a Windows line end: it
 * overwrites nothing, and every line of a CRLF log shown on a terminal ended in `␍`).
 *
 * JSON output (`--json`, NDJSON) is read on terminals too, and JSON.stringify escapes only C0: DEL, the C1 controls
 * and the bidi controls went out raw, and a terminal obeys the C1 ones as it does their ESC forms (U+009B is CSI,
 * U+009D is OSC: an engine's log line `\u009d52;c;…\u009c` wrote the clipboard of whoever ran `watch --json`).
 * `jsonForTerminal` writes each as its `\uXXXX` escape instead: the same JSON value to any parser, inert on a screen.
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

/**
 * `terminalText` for text that arrives in pieces (an artifact streamed to a terminal): `push` each piece, `end` once,
 * and print what each returns. A piece ending in CR holds that CR back until the next one shows whether an LF follows:
 * cut between the CR and the LF of a CRLF line end, a Windows log showed a stray `␍` wherever a network read ended.
 */
export function terminalTextStream(): { push: (piece: string) => string; end: () => string } {
  let held = "";
  return {
    push(piece) {
      const text = held + piece;
      held = text.endsWith("\r") ? "\r" : "";
      return terminalText(held ? text.slice(0, -1) : text);
    },
    end() {
      const text = terminalText(held);
      held = "";
      return text;
    },
  };
}

/** What JSON.stringify writes raw that a terminal obeys or draws out of order: DEL, C1 and the bidi controls. */
const RAW_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON text (as JSON.stringify writes it) with DEL, each C1 and each bidi control written as its `\uXXXX` escape:
 * the same value to every JSON parser, and nothing a terminal obeys. Such a character can only stand inside a JSON
 * string (the rest of JSON is ASCII), where the escape is valid. Pure; `json` itself when it holds none.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
