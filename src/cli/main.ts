/**
 * @module cli/main
 * Entry point of `gigafactory` (imported by bin/gigafactory.mjs): runs cli/run `runCli` on the process's command
 * line and terminal and sets the exit code. Only this file touches `process` (so it runs on import: tests import
 * cli/run instead).
 */
import { afterPoll } from "../shared/after-poll.ts";
import { errorLine } from "../shared/fixable-error.ts";
import type { Io } from "./context.ts";
import { CliError } from "./errors.ts";
import { INTERRUPT_SIGNALS, type InterruptSignal, interruptionBy } from "./interruption.ts";
import { canRedraw } from "./progress.ts";
import { runCli } from "./run.ts";

const STDOUT_FIX = "check where stdout goes: a disk with room, a file that can be written";

/** How long a command that ended after a signal may take to exit on its own (its output is written synchronously). */
const ENDED_GRACE_MS = 500;

/** The first signal a guarded command took, if any (Io.onInterrupt). */
let signalled: InterruptSignal | undefined;

/** A guarded command still waiting `ms` after the signal under --timeout 0: said, and ended as the signal ends it. */
function unboundedEnd(signal: InterruptSignal, ms: number): never {
  const how = interruptionBy(signal);
  const what = `no answer ${ms / 1000} s after ${how.by}, and --timeout 0 sets no bound on the wait: whether the request went in is unknown`;
  const fix =
    "look before sending it again (what a command makes shows in `gigafactory jobs`, `factories` or `tokens`)";
  process.stderr.write(`${errorLine(new CliError("interrupted", what, fix, how.exitCode))}\n`);
  process.exit(how.exitCode);
}

const io: Io = {
  stdout: (text) => void process.stdout.write(text),
  // Waits for the pipe to take each chunk, so a large artifact streams through instead of piling up in memory.
  stdoutBytes: (bytes) => new Promise<void>((resolve) => process.stdout.write(bytes, () => resolve())),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: canRedraw(process.stderr.isTTY === true, process.env),
  stdoutIsTTY: process.stdout.isTTY === true,
  ...(process.stdout.isTTY && process.stdout.columns ? { stdoutColumns: process.stdout.columns } : {}),
  env: process.env,
  now: () => Date.now(),
  onInterrupt: (stop, boundMs) => {
    // The first Ctrl-C or SIGTERM is the command's to handle (submit says which files went in; a rotation prints its
    // token): `timeout`, a cancelled CI job and a supervisor send SIGTERM. A second, of either kind, ends it at once,
    // 128 + its number. Off, the default is back: a command with no guard ends at once on either.
    const second = (signal: InterruptSignal) => process.exit(interruptionBy(signal).exitCode);
    let bound: NodeJS.Timeout | undefined;
    let settled = false;
    const first = (signal: InterruptSignal) => {
      signalled = signal;
      for (const s of INTERRUPT_SIGNALS) {
        process.off(s, first);
        process.on(s, second);
      }
      // Under --timeout 0 what it awaits has no bound: `timeout` sends SIGTERM once, so the signal bounds it.
      // Decided after a poll (shared/after-poll): an answer already in the socket when the bound fell due ends the
      // command as answered; `settled` because clearing the timer cannot recall a decision already queued.
      if (boundMs)
        bound = setTimeout(
          afterPoll(() => settled || unboundedEnd(signal, boundMs)),
          boundMs,
        ).unref();
      stop(signal);
    };
    for (const s of INTERRUPT_SIGNALS) process.on(s, first);
    return () => {
      settled = true;
      clearTimeout(bound);
      for (const s of INTERRUPT_SIGNALS) {
        process.off(s, first);
        process.off(s, second);
      }
    };
  },
  // As it comes: read to its end, `yes | gigafactory submit -` filled the memory before anything was said.
  stdin: () => process.stdin,
};

process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  // A reader that went away (`gigafactory jobs | head`) is not an error worth a stack trace, nor a failure — but it
  // does not turn one into a success: a failed command's --json error document meeting a closed pipe exited 0, so
  // `set -o pipefail` scripts read a usage error or an unreachable coordinator as done.
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  // Any other failure (a full disk, a read-only file) lost output: listening swallowed it, and the exit was 0, so
  // `gigafactory jobs --json > jobs.json` on a full disk passed with a truncated file.
  const what = `cannot write to stdout (${err.code ?? err.message})`;
  process.stderr.write(`${errorLine(new CliError("stdout_unwritable", what, STDOUT_FIX))}\n`);
  process.exit(1);
});

// A stderr nobody reads any more (`gigafactory … 2>&1 | true`) leaves nowhere to report to: the command's own exit
// code stands, instead of an uncaught EPIPE's 1 (which hid a usage error's 2).
process.stderr.on("error", () => {});

process.exitCode = await runCli(process.argv.slice(2), io);
// After a signal, what the command gave up on can still hold the process: a read of a pipe that never ends, or a FIFO
// whose open(2) waits in libuv's thread pool (which process.exit would wait for too). Done, it ends as the signal
// ends a process — unless it exits first, with its code, as it does when nothing holds it (the timer is unref'd).
const ended = signalled;
if (ended)
  setTimeout(() => {
    for (const s of INTERRUPT_SIGNALS) process.removeAllListeners(s);
    process.kill(process.pid, ended);
  }, ENDED_GRACE_MS).unref();
