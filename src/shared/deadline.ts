/**
 * @module shared/deadline
 * A time bound as an AbortSignal whose abort is decided after a poll (shared/after-poll): the REST client's answer
 * bound, an upload's whole bound, a read given up on. `AbortSignal.timeout` and a plain timer's abort fire in the
 * timers phase, before the poll phase reads what is already waiting: with the loop held past the bound (a loaded host)
 * an answer already in the socket was aborted as a timeout — a write that was applied reported as failed, and retried.
 */
import { afterPoll } from "./after-poll.ts";

/** A bound running: its signal, and whether it (not something else) ended what ran under it. */
export interface Deadline {
  /** Aborted with `reason()` once the bound passes, unless `stop` came first. */
  readonly signal: AbortSignal;
  /** True once this bound aborted the signal. */
  fired(): boolean;
  /** Starts the bound again from now (for the next stage: a body once the headers are in). */
  restart(): void;
  /** Ends the bound: what ran under it has settled. A decision queued but not yet made is dropped with it. */
  stop(): void;
}

/**
 * A bound of `ms` milliseconds (> 0) from now. Its timer decides after one more poll phase, and only if neither
 * `stop` nor `restart` came meanwhile: an answer that was waiting when the timer fell due is read first, and a caller
 * that then settles and calls `stop` keeps its answer. The abort's reason is `reason()` (a `TimeoutError` DOMException,
 * say, for callers that tell a timeout by its name). Never throws.
 */
export function deadline(ms: number, reason: () => unknown): Deadline {
  const abort = new AbortController();
  // Each arm's decision carries its generation: one queued by an arm that was since stopped or restarted is void
  // (clearTimeout cannot reach a decision already handed to setImmediate).
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    const mine = ++generation;
    const decide = () => {
      if (mine === generation && !abort.signal.aborted) abort.abort(reason());
    };
    timer = setTimeout(afterPoll(decide), ms);
  };
  const stop = () => {
    clearTimeout(timer);
    generation++;
  };
  arm();
  return {
    signal: abort.signal,
    fired: () => abort.signal.aborted,
    restart: () => {
      stop();
      arm();
    },
    stop,
  };
}
