/**
 * @module cli/utf8-text
 * A file's bytes as text, refused when they are not UTF-8. Decoded leniently, a Windows-1252 `café` became
 * `caf\uFFFD` and went up as such: the server takes UTF-8 only, and a command that sends a file "verbatim" cannot do
 * so for bytes that are no text. Shared by every command that sends a file's text (`submit`, `children`). A file the
 * command line names that is no text is the caller's input it cannot run with: `file_not_utf8`, exit 2, as the agent's
 * config file it cannot take (it was each command's own code, `invalid_manifest` and `invalid_json`, exit 1).
 */
import { EXIT_USAGE } from "../shared/fixable-error.ts";
import { CliError } from "./errors.ts";

/**
 * The text of `bytes` (UTF-8; a leading BOM is dropped, as TextDecoder does).
 * @param label prefixed to the refusal's message (e.g. `"children.json: "`); "" when the caller prefixes it
 * @param again what to do once converted, the hint's end (e.g. `submit it again`)
 * @throws CliError file_not_utf8 (exit 2) naming the 1-based line of the first byte that is not UTF-8, with how to convert the file
 */
export function utf8Text(bytes: Uint8Array, label = "", again = "try again"): string {
  const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  try {
    return strict.decode(bytes);
  } catch {
    throw new CliError(
      "file_not_utf8",
      `${label}is not UTF-8 text (line ${firstBadLine(bytes, strict)})`,
      `save it as UTF-8 (for example \`iconv -f WINDOWS-1252 -t UTF-8\`) and ${again}`,
      EXIT_USAGE,
    );
  }
}

/** The 1-based line holding the first byte that is not UTF-8: a 0x0A never occurs inside a UTF-8 sequence. */
function firstBadLine(bytes: Uint8Array, strict: TextDecoder): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      strict.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    line++;
    start = i + 1;
  }
  return line;
}
