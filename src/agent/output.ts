/**
 * @module agent/output
 * Everything the agent tells its operator: one readable line per event
 * (`✔ connected as …`, `▶ job_… title (attempt 1)`, `✘ job_… failed: …`) or,
 * with `--json`, one NDJSON object per event with the same facts, for log
 * shippers. Failures the operator must act on read
 * `✘ ERROR <code>: <what happened> / <how to fix it>` (shared/fixable-error `errorText`).
 * One event is one line's start: the lines of a message after its first are indented (`indented`).
 * Every line passes `redactSecrets` on its way out, JSON or not (in JSON, every string value is redacted before it is
 * serialised, too): a token or an enrollment code is never printed, whoever put it into the message (our own errors,
 * a coordinator's detail, a stack).
 */
import { jsonForTerminal, terminalText } from "../core/terminal-text.ts";
import { errorText } from "../shared/fixable-error.ts";
import { redactDeep, redactSecrets } from "../shared/redact-secrets.ts";

export type Mark = "✔" | "▶" | "✘" | "⚠" | "·";

export interface Output {
  /** A progress line: `mark text`; in JSON mode `{event, ...fields}`. */
  say(mark: Mark, event: string, text: string, fields?: Record<string, unknown>): void;
  /**
   * An actionable error (stderr in human mode). `exitCode`: the one the process ends with, when this error ends it —
   * in JSON mode its `exitCode` field, as the CLI's --json error document carries it.
   */
  error(code: string, what: string, fix: string, exitCode?: number): void;
}

export interface Sink {
  out: (line: string) => void;
  err: (line: string) => void;
}

const processSink: Sink = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * The printer: human lines (stderr for `✘`, `⚠` and errors) or NDJSON on stdout, stamped with `now()` (epoch ms).
 * `secrets` are literals to hide beyond the shapes `redactSecrets` knows (the `--token`/`--code` this run was given).
 */
export function createOutput(
  json: boolean,
  sink: Sink = processSink,
  now: () => number = Date.now,
  secrets: readonly string[] = [],
): Output {
  const stamp = () => new Date(now()).toISOString();
  const to = (write: (line: string) => void) => (line: string) => write(redactSecrets(line, secrets));
  if (json) {
    // Every string is redacted BEFORE serialising: in the JSON line a newline or tab before a secret reads `\n`/`\t`,
    // and a pattern anchored on what precedes the secret can miss it there. The line is redacted again on its way out.
    const out = to(sink.out);
    // DEL, C1 and bidi controls as \uXXXX (JSON.stringify escapes only C0): an engine's output quoted in an event
    // must not drive the terminal of whoever tails this log (core/terminal-text `jsonForTerminal`).
    const line = (record: Record<string, unknown>) => out(jsonForTerminal(JSON.stringify(redactDeep(record, secrets))));
    return {
      say(mark, event, text, fields = {}) {
        const level = mark === "✘" ? "error" : mark === "⚠" ? "warn" : "info";
        line({ at: stamp(), level, event, message: text, ...fields });
      },
      error(code, what, fix, exitCode) {
        line({
          at: stamp(),
          level: "error",
          event: "error",
          code,
          message: what,
          fix,
          ...(exitCode ? { exitCode } : {}),
        });
      },
    };
  }
  const out = to(sink.out);
  const err = to(sink.err);
  return {
    // Job titles, reasons and messages come from the coordinator: their control characters are shown, not obeyed.
    say(mark, _event, text) {
      (mark === "✘" || mark === "⚠" ? err : out)(indented(terminalText(`${mark} ${text}`)));
    },
    error(code, what, fix) {
      err(indented(terminalText(errorText({ code, message: what, fix }))));
    },
  };
}

/**
 * Every line of an event's text after its first indented two spaces, unless it starts with a space or a tab already (a
 * stack's `    at …`): at the start of a line stands only a mark the agent printed. A message holds text from
 * elsewhere, newlines kept (an engine's error result, git's stderr): a failure reading `boom\n✔ job_… done in 3.0s`
 * printed a line the operator, and a shipper reading the log line by line, took for the agent's.
 */
function indented(text: string): string {
  return text.replace(/\n(?=[^ \t])/g, "\n  ");
}

/** `12345` ms → `12.3s`; minutes past a minute (`2m05s`). */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
