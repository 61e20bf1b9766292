/**
 * @module cli/context
 * What a command runs with: its parsed options and arguments, the terminal
 * (stdout, stderr, whether stderr is a TTY), the environment, a clock, and a
 * lazily built API client. Commands write only through `Ctx`, never to
 * `process`, so the JSON rule — one document on stdout, nothing else — is kept
 * in one place and commands can be driven in-process.
 */
import { jsonForTerminal, terminalText } from "../core/terminal-text.ts";
import { GigafactoryClient } from "../shared/http-client.ts";
import type { CommandSpec, OptionValue } from "./args.ts";
import {
  type Connection,
  configPath,
  type Env,
  envLayer,
  readConfigFile,
  resolveConnection,
  responseTimeoutMs,
  tokenSourceOf,
} from "./config.ts";
import { configFileWarning, namedConfigMissing } from "./config-file.ts";
import { overrideNote, overridingVariables } from "./env-override.ts";
import { CliError } from "./errors.ts";
import type { InterruptSignal } from "./interruption.ts";
import { jsonWithoutTokens } from "./own-tokens.ts";
import { refusedAsMalformed } from "./token-shape.ts";

export interface Io {
  stdout(text: string): void;
  /** Raw bytes to stdout (a downloaded artifact); without it they are written as UTF-8 text through `stdout`. */
  stdoutBytes?(bytes: Uint8Array): Promise<void> | void;
  /** Whether stdout is a terminal: a downloaded artifact shown there has its control characters shown, not obeyed. */
  stdoutIsTTY?: boolean;
  stderr(text: string): void;
  /** Whether stderr is a terminal that redraws a line in place (cli/progress `canRedraw`: not TERM=dumb). */
  stderrIsTTY: boolean;
  /** Width of the terminal stdout writes to, when it is one: wide columns (the waiting reason) are cut to fit. */
  stdoutColumns?: number;
  env: Env;
  now(): number;
  /**
   * Standard input's bytes as they come (`submit -`), read no further than the reader asks (cli/input-file
   * `readInputStream` stops at the coordinator's bound); absent where there is none to read.
   */
  stdin?(): AsyncIterable<Uint8Array>;
  /**
   * Calls `stop` with the signal at the first Ctrl-C (SIGINT) or SIGTERM from now on, instead of ending the process;
   * a second of either ends it at once (exit 128 + its number: 130, 143; cli/interruption). @returns the way to stop
   * listening. `boundMs`: the process ends that long after the first signal if still running (exit 128 + its number,
   * saying so) — given when the command's requests have no bound of their own (--timeout 0). Absent where nothing can
   * be signalled (in-process tests).
   */
  onInterrupt?(stop: (signal: InterruptSignal) => void, boundMs?: number): () => void;
  /** Injected by in-process tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

export interface Ctx {
  io: Io;
  json: boolean;
  positionals: readonly string[];
  str(name: string): string | undefined;
  int(name: string): number | undefined;
  flag(name: string): boolean;
  strs(name: string): string[];
  /** The connection from flags, environment and config file (in that order); `product` may be "" only when `needProduct` is false. */
  connection(needProduct?: boolean): Connection;
  client(conn?: Connection): GigafactoryClient;
  /** A line of human output on stdout; suppressed under --json. */
  print(text: string): void;
  /** A line on stderr: progress, hints. Suppressed under --json unless `always`. */
  note(text: string, always?: boolean): void;
  /** The --json document. @throws CliError bad_response — a document JSON cannot write (nested thousands deep). */
  emit(doc: unknown): void;
  /** One compact JSON line (NDJSON), for streams under --json. @throws CliError bad_response, as `emit`. */
  emitLine(doc: unknown): void;
  /**
   * `err`, or `token_malformed` when it is the coordinator's 401 of the token `connection` gave and that token's shape
   * says why (cli/token-shape `refusedAsMalformed`): cli/run reports every failure through it.
   */
  asTokenRefusal(err: unknown): unknown;
  /** The tokens this run may send (cli/own-tokens `ownTokens`), hidden by value in what it reports (cli/failure-report). */
  tokens(): readonly string[];
}

/** A command: its spec (words, arguments, options, help) and what it does; returns the exit code (default 0). */
export interface Command extends CommandSpec {
  run(ctx: Ctx): Promise<number | undefined>;
}

/**
 * The context of one command. `tokens` are the tokens this run may send (cli/own-tokens `ownTokens`): `emit` and
 * `emitLine` hide them in the document's strings; `io` (cli/run's) hides them in every other line.
 */
export function makeContext(
  io: Io,
  values: Record<string, OptionValue>,
  positionals: readonly string[],
  tokens: () => readonly string[] = () => [],
): Ctx {
  const json = values.json === true;
  const str = (name: string): string | undefined => {
    const v = values[name];
    return typeof v === "string" ? v : undefined;
  };
  let resolved: Connection | undefined;
  let warned = false;
  let overridesSaid = false;
  let sent: { token: string; source: string } | undefined;
  const ctx: Ctx = {
    io,
    json,
    positionals,
    str,
    int: (name) => {
      const v = values[name];
      return typeof v === "number" ? v : undefined;
    },
    flag: (name) => values[name] === true,
    strs: (name) => {
      const v = values[name];
      return Array.isArray(v) ? v : typeof v === "string" ? [v] : [];
    },
    connection(needProduct = true) {
      const file = configPath(io.env);
      const saved = readConfigFile(file, Boolean(io.env.GIGAFACTORY_CONFIG));
      const layers = [
        { url: str("url"), token: str("token"), product: str("product") },
        envLayer(io.env),
        saved,
      ] as const;
      // On stderr, under --json too (stdout keeps its one document); once a run.
      const warning = warned ? undefined : configFileWarning(file, saved);
      warned = true;
      if (warning) io.stderr(`${terminalText(warning)}\n`);
      const resolve = (need: boolean): Connection => {
        try {
          return resolveConnection(...layers, need);
        } catch (err) {
          throw namedConfigMissing(err, io.env);
        }
      };
      if (needProduct) resolved ??= resolve(true);
      const conn = needProduct && resolved ? resolved : resolve(false);
      // Variables set to something else than the saved login decide where the command goes: said once a run, and only
      // of a connection that resolved (a refusal names the variable at fault itself, as the one ✘ ERROR line).
      const overriding = overridesSaid ? [] : overridingVariables(layers[1], saved, layers[0]);
      overridesSaid = true;
      if (overriding.length > 0) io.stderr(`${terminalText(overrideNote(overriding, file))}\n`);
      sent = { token: conn.token, source: tokenSourceOf(layers) };
      return conn;
    },
    client(conn) {
      const c = conn ?? ctx.connection();
      // A coordinator that takes the connection and never answers must not hang a script: bound each answer's start.
      const timeoutMs = responseTimeoutMs(str("timeout"), io.env);
      return new GigafactoryClient({ ...c, responseTimeoutMs: timeoutMs, ...(io.fetch ? { fetch: io.fetch } : {}) });
    },
    // Human lines carry text from elsewhere (engine logs, job titles): its control characters are shown, not obeyed.
    print(text) {
      if (!json) io.stdout(`${terminalText(text)}\n`);
    },
    note(text, always = false) {
      if (!json || always) io.stderr(`${terminalText(text)}\n`);
    },
    emit(doc) {
      io.stdout(jsonDocument(doc, tokens));
    },
    emitLine(doc) {
      io.stdout(`${jsonText(doc, tokens)}\n`);
    },
    asTokenRefusal: (err) => (sent ? refusedAsMalformed(err, sent.token, sent.source) : err),
    tokens,
  };
  return ctx;
}

/**
 * The one printer of a --json document (a command's answer, `--version`, `--help`, an error): `doc` indented two
 * spaces a level, its tokens hidden, with its line's end. `--version --json` printed compact JSON of its own where every
 * other document is indented. @throws CliError bad_response, as `jsonText`
 */
export function jsonDocument(doc: unknown, tokens: () => readonly string[] = () => []): string {
  return `${jsonText(doc, tokens, 2)}\n`;
}

/**
 * `doc` as JSON.stringify writes it (`indent` spaces a level, or compact), with any of `tokens` in its strings hidden
 * (cli/own-tokens: the one change to an answer's bytes), or nothing but a refusal: JSON.stringify
 * recurses, and an answer nested some 4,000 deep (a few KB; JSON.parse takes a million levels) overflowed the stack —
 * every --json command printed `✘ ERROR internal: Maximum call stack size exceeded / this is a CLI bug`. No answer of
 * a coordinator nests past a dozen levels, and one nested a million deep would print 10^12 bytes of indentation, so
 * it is refused rather than written some other way. DEL, C1 and bidi controls in its strings are written as `\uXXXX`
 * escapes (core/terminal-text `jsonForTerminal`): the same document, and none obeyed by the terminal it is read on.
 * @throws CliError bad_response — nested too deep, or past the longest string the runtime holds (both RangeError)
 */
export function jsonText(doc: unknown, tokens: () => readonly string[], indent?: number): string {
  try {
    return jsonForTerminal(jsonWithoutTokens(JSON.stringify(doc, null, indent), tokens, indent));
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new CliError(
      "bad_response",
      `the coordinator's answer cannot be written as JSON: it is nested too deep or too large (${err.message})`,
      "check that --url / GIGAFACTORY_URL points at a Gigafactory coordinator: none nests its answers this deep",
    );
  }
}
