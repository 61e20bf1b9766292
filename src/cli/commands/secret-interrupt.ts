/**
 * @module cli/commands/secret-interrupt
 * Ctrl-C (SIGINT) while a request whose answer holds a secret shown once is out — `factory rotate`, `enroll` (its
 * one-time code; with --direct the factory's token), `tokens mint`. cli/main's default ended the process at once:
 * the coordinator had made the secret (a rotation had refused the old token already, locking the host out) and
 * nobody ever saw it. Here (cli/request-interrupt) the first Ctrl-C says so and the answer is still awaited (bounded by
 * --timeout): the secret is printed as without Ctrl-C, then `✘ ERROR interrupted` (exit 130) says what to do with it
 * — under --json the one document, the answer with `error`; a failure after it says what state the secret may be in
 * and what to run — `{error, failure}` under --json. A second Ctrl-C ends at once (cli/main).
 */
import type { Ctx } from "../context.ts";
import { lineOf } from "../read-answers-policy.ts";
import { endAnswered, endFailed, type FailureWords, sendListening } from "../request-interrupt.ts";

/** What one secret-making request says after a Ctrl-C: its note, its failure's words, and its answer's. */
export interface SecretWords<T> {
  /** The first Ctrl-C's line: what is on its way, that the answer holds the secret, what a second Ctrl-C loses. */
  note: string;
  /** How a failure after Ctrl-C ends (cli/request-interrupt endFailed); `stopped` also opens the answer's line. */
  failure: FailureWords;
  /** After `; its answer came: ` — what was made — and the fix: what to do with the secret now. */
  answered: (answer: T) => { came: string; fix: string };
}

/**
 * Sends a request whose answer holds a secret shown once, listening for Ctrl-C. `send`: the request and the check of
 * its answer (a check that fails after Ctrl-C is a failure after it). `show`: prints the answer's text (not under
 * --json) and returns the --json document — as without Ctrl-C, which ends 0 emitting that document.
 * @returns the exit code: 0, or EXIT_INTERRUPTED (130) when Ctrl-C came while the request was out
 * @throws what `send` or `show` throws when no Ctrl-C came, as without this guard
 */
export async function sendForSecret<T>(
  ctx: Ctx,
  words: SecretWords<T>,
  send: () => Promise<T>,
  show: (answer: T) => object,
): Promise<number> {
  const sent = await sendListening(ctx, lineOf(words.note), send);
  if ("failed" in sent) return endFailed(ctx, sent.failed, words.failure);
  const doc = show(sent.answer);
  if (sent.stopped) {
    const { came, fix } = words.answered(sent.answer);
    return endAnswered(ctx, `${words.failure.stopped}; its answer came: ${came}`, fix, doc);
  }
  if (ctx.json) ctx.emit(doc);
  return 0;
}
