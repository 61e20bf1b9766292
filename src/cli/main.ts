/**
 * @module cli/main
 * Entry point of `gigafactory` (imported by bin/gigafactory.mjs): runs cli/run `runCli` on the process's command
 * line and terminal and sets the exit code. Only this file touches `process` (so it runs on import: tests import
 * cli/run instead).
 */
import type { Io } from "./context.ts";
import { runCli } from "./run.ts";

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
