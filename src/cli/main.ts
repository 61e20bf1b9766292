/**
 * @module cli/main
 * Entry point of `gigafactory` (imported by bin/gigafactory.mjs): parse the
 * command line, run the command, and turn any failure into the one-line
 * `✘ ERROR` report with exit code 1 (2 for usage errors). `runCli` takes its
 * terminal as a parameter so it can be driven in-process; only the bottom of
 * this file touches `process`.
 */
import { terminalText } from "../core/terminal-text.ts";
import { parseCommandLine } from "./args.ts";
import { type Io, makeContext } from "./context.ts";
import { formatError, toCliError } from "./errors.ts";
import { commandHelp, overviewHelp } from "./help.ts";
import { COMMANDS } from "./registry.ts";

export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  try {
    const line = parseCommandLine(argv, COMMANDS);
    if (!line.command) {
      const family = line.positionals[0];
      const known = family !== undefined && COMMANDS.some((c) => c.path[0] === family);
      const help = `${overviewHelp(COMMANDS, known ? family : undefined)}\n`;
      // Bare `gigafactory` is a usage error (a script that forgot its command should not pass); --help is not.
      if (argv.length === 0) {
        io.stderr(help);
        return 2;
      }
      io.stdout(help);
      return 0;
    }
    if (line.help) {
      io.stdout(`${commandHelp(line.command)}\n`);
      return 0;
    }
    return (await line.command.run(makeContext(io, line.values, line.positionals))) ?? 0;
  } catch (err) {
    const e = toCliError(err);
    io.stderr(`${terminalText(formatError(e))}\n`); // a server's message may quote text from elsewhere
    return e.exitCode;
  }
}

const io: Io = {
  stdout: (text) => void process.stdout.write(text),
  // Waits for the pipe to take each chunk, so a large artifact streams through instead of piling up in memory.
  stdoutBytes: (bytes) => new Promise<void>((resolve) => process.stdout.write(bytes, () => resolve())),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: process.stderr.isTTY === true,
  ...(process.stdout.isTTY && process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
  env: process.env,
  now: () => Date.now(),
};

// A reader that went away (`gigafactory jobs | head`) is not an error worth a stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
});

process.exitCode = await runCli(process.argv.slice(2), io);
