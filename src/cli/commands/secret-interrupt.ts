/**
 * @module cli/commands/secret-interrupt
 * Ctrl-C (SIGINT) or SIGTERM (cli/interruption) while a request whose answer holds a secret shown once is out —
 * `factory rotate`, `enroll` (its one-time code; with --direct the factory's token), `tokens mint`. cli/main's
 * default ended the process at once: the coordinator had made the secret (a rotation had refused the old token
 * already, locking the host out) and nobody ever saw it — `timeout 30 gigafactory factory rotate` did so by SIGTERM.
 * Here (cli/request-interrupt) the first signal says so and the answer is still awaited (bounded by --timeout): the
 * secret is printed as without it, then `✘ ERROR interrupted` (exit 130 for Ctrl-C, 143 for SIGTERM) says what to do
 * with it — under --json the one document, the answer with `error`; a failure after it says what state the secret
 * may be in and what to run — `{error, failure}` under --json. A second signal ends at once (cli/main).
 */
import type { Ctx } from "../context.ts";
import type { Interruption } from "../interruption.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed, type FailureWords, sendListening } from "../request-interrupt.ts";

/** What one secret-making request says after a signal: its note, its failure's words, and its answer's. */
export interface SecretWords<T> {
  /**
   * The first signal's line (`how.by`, `how.again`): what is on its way, that the answer holds the secret, what a
   * second signal loses.
   */
  note: (how: Interruption) => string;
  /** How a failure after the signal ends (cli/request-interrupt endFailed); `during` is the answer's line's too. */
  failure: FailureWords;
  /** After `; its answer came: ` — what was made — and the fix: what to do with the secret now. */
  answered: (answer: T) => { came: string; fix: string };
}

/**
 * Sends a request whose answer holds a secret shown once, listening for Ctrl-C and SIGTERM. `send`: the request and
 * the check of its answer (a check that fails after a signal is a failure after it). `show`: prints the answer's text
 * (not under --json) and returns the --json document — as without a signal, which ends 0 emitting that document.
 * @returns the exit code: 0, or the signal's (130 Ctrl-C, 143 SIGTERM) when one came while the request was out
 * @throws what `send` or `show` throws when no signal came, as without this guard
 */
export async function sendForSecret<T>(
  ctx: Ctx,
  words: SecretWords<T>,
  send: () => Promise<T>,
  show: (answer: T) => object,
): Promise<number> {
  const sent = await sendListening(ctx, (how) => lineOf(words.note(how)), send);
  if ("failed" in sent) return endFailed(ctx, sent.stopped, sent.failed, words.failure);
  const doc = show(sent.answer);
  if (sent.stopped) {
    return endAnswered(ctx, sent.stopped, { during: words.failure.during, ...words.answered(sent.answer) }, doc);
  }
  if (ctx.json) ctx.emit(doc);
  return 0;
}
