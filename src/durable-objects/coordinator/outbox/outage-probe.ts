/**
 * @module durable-objects/coordinator/outbox/outage-probe
 * The one send readers' flushes make per outage backoff window (outbox/shipper `flushFeed`): the first reader's
 * flush is the window's probe, readers meanwhile wait for its answer, and once it is refused the window's later
 * readers send nothing.
 */
import type { FlushResult } from "./feed-flush.ts";

/**
 * Gates a coordinator's reader flushes during its outage backoff. Without it, every reader opening a feed during the
 * backoff made one refused send — many readers, a storm of them, the very thing the backoff keeps the rounds from.
 * One probe per window still finds an outage's end before the window's own round (its feed takes the events: the
 * shipper then ends the backoff), at most one send more per window than the rounds make. In memory, as the backoff.
 */
export class OutageProbe {
  /** The flush probing the current window, while it runs: readers that come meanwhile wait for its answer. */
  private running: Promise<FlushResult> | null = null;
  /** The end (ms) of the backoff window whose probe was refused: until then no reader's flush sends. */
  private refusedUntil = 0;

  /**
   * Runs `flush` now, or not at all. Outside a backoff (`backoffUntil()` ≤ now, ms; read afresh after every wait,
   * as a probe that is taken ends it), always. Inside one: as the window's probe when none ran yet; after waiting
   * for one running; not at all once the window's probe was refused (its feed took nothing and not all went).
   * A probe that found nothing to ship sent nothing and probed nothing: the next reader probes instead.
   * `wait` false: not waiting for a probe running either — an artifact commit flushes inside its exclusive section
   * (blockConcurrencyWhile), which holds the other request's probe from going on: waiting for it would hold both.
   * @returns the flush's result, or `undefined` when it did not run (this window's probe was refused, or running
   *   while `wait` is false)
   * @throws what `flush` throws (a storage error); a probe's throw leaves the window to the next reader's probe
   */
  async run(
    backoffUntil: () => number,
    flush: () => Promise<FlushResult>,
    wait = true,
  ): Promise<FlushResult | undefined> {
    for (;;) {
      const until = backoffUntil();
      if (Date.now() >= until) return flush();
      if (this.running) {
        if (!wait) return undefined;
        await this.running.catch(() => undefined);
        continue;
      }
      if (this.refusedUntil === until) return undefined;
      // Marked refused and cleared before any waiter resumes: they see the probe's answer, never a stale one.
      const probe = flush()
        .then((r) => {
          if (!r.took && !r.whole) this.refusedUntil = until;
          return r;
        })
        .finally(() => {
          this.running = null;
        });
      this.running = probe;
      return probe;
    }
  }
}
