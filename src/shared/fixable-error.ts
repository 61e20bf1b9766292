/**
 * @module shared/fixable-error
 * The one failure an operator can act on, in every program here (the CLI, the agent, `npm start`): a stable `code`,
 * what happened (the message) and how to fix it, printed by one formatter as the workers-sdk style line
 * `✘ ERROR code: what happened / how to fix it`. It carries the exit code its program should end with, so a caller
 * catches one class instead of one per module (the agent's 2 for usage or config, 1 for a failed operation).
 * No error line needs a secret: every one passes shared/redact-secrets (tokens and codes by their shape).
 */
import { terminalText } from "../core/terminal-text.ts";
import { redactSecrets } from "./redact-secrets.ts";

/**
 * The exit code of a command line or config a program cannot run with ("you called me wrong"), apart from 1, an
 * operation that failed: the CLI's usage errors and the agent's config refusals (`bad_url`, `not_logged_in`, …).
 */
export const EXIT_USAGE = 2;

/** A failure with a fix: `code` (stable, snake_case), `message` (what happened), `fix` (what to do), `exitCode`. */
export class FixableError extends Error {
  readonly code: string;
  readonly fix: string;
  readonly exitCode: number;

  /** `exitCode` defaults to 1, "the operation failed"; usage and config mistakes pass EXIT_USAGE (2). */
  constructor(code: string, what: string, fix: string, exitCode = 1) {
    super(what);
    this.name = "FixableError";
    this.code = code;
    this.fix = fix;
    this.exitCode = exitCode;
  }
}

/** The shape `errorLine` prints: a FixableError, or the same three facts from elsewhere (a protocol verdict). */
export interface Fixable {
  code: string;
  message: string;
  fix: string;
}

/** What ends a line somewhere: LF, CR (alone, it sends the cursor back over the line), VT, FF, NEL, LS and PS. */
const LINE_BREAK = /[\n\r\v\f\u0085\u2028\u2029]/;

// Split and trim, not `/\s*\n\s*/g`: that regex rescans each run of blanks from every start (quadratic).
function oneLine(s: string): string {
  return s
    .split(LINE_BREAK)
    .map((part) => part.trim())
    .join(" ")
    .trim();
}

/**
 * What happened, each " / " of its own written " ∕ " (U+2215 DIVISION SLASH, which reads the same): the line's first
 * " / " is where its fix starts — a fix may hold more (`check --url / GIGAFACTORY_URL`), what happened none — and a
 * server's detail quoting one (`body.a / body.b`) put the fix in the middle of it, for a person or a script reading
 * the line alike. A "/" that ends it or starts it too: beside the separator (`sent to / / fix`, `code: / x / fix`) it
 * made the line's first " / " the message's. Changed in the line alone: the CLI's --json error document and the
 * agent's JSON lines carry it as sent.
 */
const whatHappened = (message: string): string => oneLine(message).replace(/(^| )\/(?= |$)/g, "$1\u2215");

/**
 * `✘ ERROR code: what / fix` on one line that a terminal shows as written: line breaks in `code`, `what` or `fix` (a
 * server's detail) are folded into spaces, any other control character is shown as its picture and a bidi control as
 * U+FFFD (core/terminal-text: a U+202E in a server's detail showed the rest of the line, the fix included, reversed),
 * `what`'s own " / " as " ∕ " (`whatHappened`), and any token, code or Bearer value in them is hidden.
 */
export function errorLine(e: Fixable): string {
  return terminalText(redactSecrets(`✘ ERROR ${oneLine(e.code)}: ${whatHappened(e.message)} / ${oneLine(e.fix)}`));
}

/**
 * `errorLine` for a text that may run over lines (a tool's output, a stack): its first line goes into the `✘ ERROR`
 * line and the rest is kept below it as it was, so it stays readable.
 */
export function errorText(e: Fixable): string {
  const [first = "", ...rest] = e.message.trim().split("\n");
  return [errorLine({ ...e, message: first }), ...rest.map((line) => redactSecrets(line))].join("\n");
}

/**
 * Any thrown value as its report: a FixableError as its own line; anything else under `code` and `fix` (the caller's
 * "something else went wrong" advice), its message's first line in the `✘ ERROR` line and the rest below.
 */
export function failureText(err: unknown, code: string, fix: string): string {
  if (err instanceof FixableError) return errorLine(err);
  return errorText({ code, message: err instanceof Error ? err.message : String(err), fix });
}
