/**
 * @module agent/interrupt
 * A wait the operator may end with Ctrl-C (or SIGTERM, or a closed terminal's SIGHUP) that must say what it left. An
 * `enroll` stopped while its request was out died silently with 130: nothing said whether the code was spent or what
 * to run next, though running the same command again resumes it (agent/enroll-nonce). Within `interruptible`, such a
 * signal prints `✘ ERROR interrupted: …` with the caller's words and exits 128 + the signal's number — SIGINT's 130,
 * SIGTERM's 143, SIGHUP's 129, as a shell reports a process the signal killed (the state dir's lock is released by its
 * exit handler, shared/pid-lock); outside it, the signals are as they were. `run` uses it for its start-up.
 */
import { signalExitCode } from "./close-codes.ts";
import type { Output } from "./output.ts";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * `work()`'s result; a signal meanwhile prints `✘ ERROR interrupted: SIGNAL: {what} / {fix}` and exits the process
 * with 128 + the signal's number. `exit` is the process's exit (a test's stand-in). Throws what `work` throws.
 */
export async function interruptible<T>(
  out: Pick<Output, "error">,
  words: { what: string; fix: string },
  work: () => Promise<T>,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<T> {
  // Installed for SIGNALS alone, so the signal is one of them.
  const stop = (signal: NodeJS.Signals) => {
    const code = signalExitCode(signal as (typeof SIGNALS)[number]);
    out.error("interrupted", `${signal}: ${words.what}`, words.fix, code);
    exit(code);
  };
  for (const signal of SIGNALS) process.on(signal, stop);
  try {
    return await work();
  } finally {
    for (const signal of SIGNALS) process.off(signal, stop);
  }
}
