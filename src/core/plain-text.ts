/**
 * @module core/plain-text
 * Which control characters a request's text may hold: the one rule for every name and free-text field at the
 * boundary — the shared request schemas take it through shared/plain-text, the manifest (core/manifest-schema) from
 * here. NUL and the other C0 controls reached the stores from a token's name, a reviewer, a lesson, a note or a
 * job's title, and came back out into terminals (ESC sequences move the cursor, retitle the window, write the
 * clipboard), log lines (a CR overwrites what came before it; a NUL cuts a C string) and CSV/TSV exports. Refused
 * with a 400 naming the field (worker/problem `fromZod`, core/manifest `invalid_manifest`), as a regex zod states
 * and the OpenAPI document shows (`pattern`).
 *
 * Names (a token's name, a reviewer, an external id, an engine, a job's title, an idempotency key — the manifest's
 * and the `Idempotency-Key` header's, shared/api-keys) take no control at all: C0, DEL or C1 (0x9B is a one-byte
 * CSI) — the rule the serial key already had (core/serial-gates KEY_PATTERN). Free text
 * (notes, reasons, comments, lesson text) keeps tab and newline, and a CR only before a newline (a Windows line
 * end), and refuses the rest of C0 and DEL; its C1 range is left to the readers (core/terminal-text shows each as
 * U+FFFD).
 *
 * Only requests are checked: no answer or queue-message schema uses these, so whatever was stored before stays
 * readable (and a lesson or a job holding one can still be changed in its other fields, archived, or acted on).
 */
import type { z } from "zod";

/** The characters a name may not hold: C0, DEL and C1 (as a character class's inside). */
const NAME_CONTROLS = "\\u0000-\\u001f\\u007f-\\u009f";
/** The characters free text may not hold, but a CR before a newline: C0 but tab and newline, and DEL. */
const TEXT_CONTROLS = "\\u0000-\\u0008\\u000b-\\u001f\\u007f";
const NAME = new RegExp(`^[^${NAME_CONTROLS}]*$`);
const TEXT = new RegExp(`^(?:[^${TEXT_CONTROLS}]|\\r(?=\\n))*$`);
/** The first character a name may not hold (the CLI names it before sending: cli/plain-input). */
export const NAME_CONTROL = new RegExp(`[${NAME_CONTROLS}]`);
/** The first character free text may not hold, its line ends made LF (cli/plain-input does so before sending). */
export const TEXT_CONTROL = new RegExp(`[${TEXT_CONTROLS}]`);

const NAME_MESSAGE = "no control characters (U+0000–U+001F, U+007F–U+009F): a name is shown in lists and logs";

/**
 * `base` that refuses any control character (C0, DEL, C1): a name shown in a list row, a log line or a terminal.
 * `message`: the refusal's text, when "a name" is not what the field is (a job's title says it is one line).
 */
export function plainName(base: z.ZodString, message = NAME_MESSAGE): z.ZodString {
  return base.regex(NAME, message);
}

/** `base` that refuses C0 controls but tab, newline and CRLF's CR, and DEL: free text shown in terminals and logs. */
export function plainText(base: z.ZodString): z.ZodString {
  return base.regex(TEXT, "no control characters but tab and newline (U+0000–U+001F, U+007F): shown in terminals");
}

/**
 * `base` (a key: the manifest's `idempotencyKey`, the `Idempotency-Key` header, shared/api-keys) that holds something
 * besides blanks (any Unicode white space, NBSP among them). `"   "` made a job under a key nobody can see or retype,
 * and as a header it arrives empty (fetch strips a value's blanks), so a batch sent `--key "   "` was keyed by nothing.
 */
export function notBlank(base: z.ZodString): z.ZodString {
  return base.regex(
    /\S/,
    "not blanks only: a key is retyped to repeat a request, and a header of blanks arrives empty",
  );
}
