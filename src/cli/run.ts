/**
 * @module cli/run
 * `runCli`: parse the command line, run the command, and turn any failure into the one-line `✘ ERROR` report with
 * exit code 1 (2 for usage errors) — and, under --json, into the one document on stdout, `{ error: {…} }`. It takes
 * its terminal as a parameter, so cli/main drives it with the process's and the tests in-process with captured
 * output (test/support/cli-harness).
 */
import { readFileSync } from "node:fs";
import { parseCommandLine } from "./args.ts";
import { withFlagNames } from "./body-flags.ts";
import { type Command, type Ctx, type Io, jsonDocument, jsonText, makeContext } from "./context.ts";
import { toCliError, unknownCommand } from "./errors.ts";
import { failureDocument, failureLine, reportedFailure } from "./failure-report.ts";
import { foreignRefusal } from "./foreign-fix.ts";
import { commandHelp, OVERVIEW_DETAILS, overviewHelp } from "./help.ts";
import { commandDoc, overviewDoc } from "./help-doc.ts";
import { ownTokens, withoutTokens } from "./own-tokens.ts";
import { COMMANDS } from "./registry.ts";

/**
 * Whether the command line asks for --json, read from the words themselves (before any `--`), so that a line the
 * parser refuses — an unknown option, a missing value — still gets its failure as JSON.
 */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * Runs one command line against `io`. @returns the exit code: 0 done, 1 a failure, 2 a usage error, or a
 * command's own (e.g. `watch`'s 3). Never throws: every error is printed on `io.stderr` as one `✘ ERROR` line and,
 * under --json, on stdout as `{ error: { code, message, fix, exitCode } }` — the one document, or, after a stream's
 * first NDJSON line (`watch`), its last line — since a script reading stdout must learn that, and why, it failed.
 */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  // `gigafactory help jobs` is what many CLIs (git, npm) accept: the same as `gigafactory jobs --help`.
  if (argv[0] === "help" && !COMMANDS.some((c) => c.path[0] === "help"))
    return runCli([...argv.slice(1), "--help"], io);
  const json = wantsJson(argv);
  // What a user types first to say which CLI they have (it was `Unknown option '--version'`).
  const words = argv.filter((w) => w !== "--json");
  if (words.length === 1 && words[0] === "--version") {
    io.stdout(json ? jsonDocument({ version: version() }) : `gigafactory ${version()}\n`);
    return 0;
  }
  // A stream's error is one more compact line, whether or not a line came before it (a reader parses line by line).
  let streamed = false;
  let ndjson = false;
  // Whether stderr's last write left a line open: a counter or progress bar redrawn in place (`\r… 1500 jobs read`).
  let openLine = false;
  // The tokens this run may send are hidden in all it prints (cli/own-tokens): a server may echo one back anywhere.
  // A --json document hides them in its strings (cli/context `emit`), so it is not rewritten as text here.
  const tokens = ownTokens(argv, io.env);
  const hide = (text: string) => withoutTokens(text, tokens);
  const out: Io = {
    ...io,
    stdout: (text) => {
      streamed = true;
      io.stdout(json ? text : hide(text));
    },
    stderr: (text) => {
      if (text !== "") openLine = !text.endsWith("\n");
      io.stderr(hide(text));
    },
  };
  let ctx: Ctx | undefined;
  let command: Command | undefined;
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (!line.command) {
      const family = line.positionals[0];
      const known = family !== undefined && COMMANDS.some((c) => c.path[0] === family);
      // `help jbos` / `jbos --help` printed the overview and passed: a typo is named, as without --help.
      if (family !== undefined && !known) throw unknownCommand(family, COMMANDS);
      const shown = known ? family : undefined;
      // Scripts and shell completion read the same description the text is rendered from (cli/help-doc).
      const help = json
        ? jsonDocument(overviewDoc(COMMANDS, shown, OVERVIEW_DETAILS))
        : `${overviewHelp(COMMANDS, shown)}\n`;
      // Bare `gigafactory` is a usage error (a script that forgot its command should not pass); --help is not.
      if (argv.length === 0) {
        io.stderr(help);
        return 2;
      }
      io.stdout(help);
      return 0;
    }
    if (line.help) {
      io.stdout(json ? jsonDocument(commandDoc(line.command, COMMANDS)) : `${commandHelp(line.command, COMMANDS)}\n`);
      return 0;
    }
    command = line.command;
    ndjson = line.command.ndjson === true;
    ctx = makeContext(out, line.values, line.positionals, tokens);
    return (await line.command.run(ctx)) ?? 0;
  } catch (err) {
    // Told as every failure is (cli/failure-report): a cut-off token's 401 as what it is (cli/token-shape), a 429 or
    // 503's wait in the fix and as a field a script can sleep on (cli/retry-after), the run's tokens hidden. A refused
    // body's field is said as the flag the user typed (cli/body-flags): `--budget-usd`, not `body.budgetUsd`; in the
    // coordinator's refusal only (another server's JSON naming `validation_failed` is not of our fields).
    const told = (cause: unknown) =>
      foreignRefusal(cause) ? toCliError(cause) : withFlagNames(toCliError(cause), command);
    const { error: e, wait } = reportedFailure(ctx, err, told);
    const reporting = ctx ?? { tokens };
    // A failure in the middle of a redrawn counter (`jobs --all`'s page 7 a 503) was glued to it on one line
    // (`… 1500 jobs read✘ ERROR …`): the report starts on a line of its own, cleared on a terminal that redraws.
    if (openLine) io.stderr(io.stderrIsTTY ? "\r\x1b[K" : "\n");
    // A server's message may quote text from elsewhere, our token too.
    io.stderr(hide(failureLine(reporting, e, false)));
    if (json) {
      const full = failureDocument(reporting, e, wait);
      io.stdout(streamed || ndjson ? `${jsonText(full, tokens)}\n` : jsonDocument(full, tokens));
    }
    return e.exitCode;
  }
}

/** This checkout's package version (the CLI runs from its source, beside package.json). */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version?: string;
    };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}
