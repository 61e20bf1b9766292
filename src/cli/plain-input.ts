/**
 * @module cli/plain-input
 * Text an operator types or pastes into an option (`--note`, `--comment`, `--text`, `--reason`, a lesson's TEXT,
 * `--name`, `--reviewer`), made fit for the coordinator's control-character rule (shared/plain-text) before it is
 * sent, or refused here naming the character and where it is. Sent as typed, ordinary input was a 400
 * `validation_failed: body.note: no control characters but tab and newline …` about a character nobody can see:
 * `--note "$(cat note.txt)"` of a file saved with Windows line ends keeps the last line's CR (the shell strips only
 * the LF), and a comment copied from a coloured terminal holds its ESC colour codes.
 *
 * Free text (`plainTextInput`) is normalised thus, and nothing else of it is changed:
 *   - line ends: CRLF and a lone CR (old Mac files) become LF — the text reads the same, the server keeps LF;
 *   - colour codes (SGR, `ESC [ … m`) are removed: they are invisible where the text was copied from.
 * Any other control character (a form feed, a backspace, any other ESC sequence, DEL) is refused as a usage error
 * (exit 2, nothing sent) naming it, its line and column, and that only tabs and line breaks are kept.
 * Names (`plainNameInput`) take no control character at all, C1 included, as the server's rule; nothing is changed.
 */
import { fitsUtf8, utf8Bytes } from "../core/bytes.ts";
import { FixableError as CliError, EXIT_USAGE } from "../shared/fixable-error.ts";
import { NAME_CONTROL, TEXT_CONTROL } from "../shared/plain-text.ts";

/** SGR colour sequences (`ESC [ 1;31 m`, `ESC [ 38:5:208 m`, `ESC [ m`): pure formatting, nothing of the text. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ESC of a colour code is what is matched
const COLOUR = /\u001b\[[0-9;:]*m/g;

/** Names of the controls a pasted text most often holds; any other is shown by its code point only. */
const CONTROL_NAMES: Readonly<Record<number, string>> = {
  0: "NUL",
  7: "bell",
  8: "backspace",
  9: "tab",
  10: "line break",
  11: "vertical tab",
  12: "form feed",
  13: "carriage return",
  27: "ESC, a terminal escape sequence",
  127: "DEL",
};

/**
 * `value` of `--option` (`option`: the option as typed, e.g. `--note`, or `TEXT` for an argument) of `command`, as it
 * is sent: line ends made LF, colour codes removed. `maxBytes`: the coordinator's limit on the field (bytes of UTF-8,
 * imported from where the API's schema takes it, never copied), counted as it counts: after its trim.
 * @throws CliError usage (exit 2) naming any other control character, its line and column (both from 1), and how to
 * remove it; or the text's size past `maxBytes` — sent, it came back a 400 from the coordinator.
 */
export function plainTextInput(value: string, option: string, command: string, maxBytes?: number): string {
  const text = value.replace(/\r\n?/g, "\n").replace(COLOUR, "");
  refuseControl(text, TEXT_CONTROL, option, command, "keeps tabs and line breaks, no other control character");
  // Trimmed as the coordinator's schemas trim (`.trim()` before the byte bound): never refuse what it would take.
  const trimmed = text.trim();
  if (maxBytes !== undefined && !fitsUtf8(trimmed, maxBytes)) {
    throw new CliError(
      "usage",
      `${option} is ${utf8Bytes(trimmed)} bytes of UTF-8, past the ${maxBytes} the coordinator takes`,
      `shorten it and run \`gigafactory ${command}\` again`,
      EXIT_USAGE,
    );
  }
  return text;
}

/** `value` of `option` (a name), unchanged. @throws CliError usage (exit 2) naming any control character in it. */
export function plainNameInput(value: string, option: string, command: string): string {
  refuseControl(value, NAME_CONTROL, option, command, "is a name: no control character, no line break, no tab");
  return value;
}

function refuseControl(text: string, refused: RegExp, option: string, command: string, rule: string): void {
  const at = refused.exec(text)?.index;
  if (at === undefined) return;
  const code = text.charCodeAt(at);
  const before = text.slice(0, at).split("\n");
  const where = `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = CONTROL_NAMES[code];
  throw new CliError(
    "usage",
    `${option} holds a control character, ${hex}${name ? ` (${name})` : ""}, at ${where}: the coordinator refuses it`,
    `remove it and run \`gigafactory ${command}\` again (${option} ${rule})`,
    EXIT_USAGE,
  );
}
