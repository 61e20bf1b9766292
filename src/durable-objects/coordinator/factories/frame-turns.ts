/**
 * @module durable-objects/coordinator/factories/frame-turns
 * Factory frames applied in turns, leading and trailing: a frame that finds no turn open is applied at once and
 * opens one; frames that arrive while it is open are applied together when it ends (the next turn of the event
 * loop) — each still its own unit, in arrival order, answered on its own.
 *
 * Why: a Durable Object commits its SQLite writes once per turn of the event loop that wrote, and that commit,
 * not the statements, is most of what a frame costs. Measured in the local runtime (issue 12): an event that
 * writes one row costs ~200 µs against ~5 µs per statement, and five transactions in one event cost what one
 * does. A factory sends 2–3 frames per job, so at a few hundred jobs/s one commit per frame was most of the
 * coordinator's time; under load, frames that arrive together now share one. Alone, a frame waits for nothing:
 * deferring every frame by a timer tick cost the peers harness's three-frame W2 latency more than it saved (each
 * frame waited behind everything queued in the event loop, three times per job).
 *
 * Nothing about a unit changes: its transaction, its answer before any dispatch pass it causes (the first pass
 * runs in the same turn: factories/throttle), and the output gate holds every answer until the commit is durable.
 */

export class FrameTurns {
  private queued: Array<() => void> = [];
  /** A frame ran at once and the timer that ends its window is pending: frames arriving now wait for it. */
  private open = false;

  /** `turn`: runs the frames of one turn it is given (factories/throttle `holding`: one dispatch pass after all). */
  constructor(
    private readonly turn: (frames: () => void) => void = (frames) => frames(),
    /** Frames queued behind an open turn: the thread is loaded (the outbox then opens new feeds slower). */
    private readonly onQueued: () => void = () => {},
  ) {}

  /**
   * Runs `apply` now if no frame ran since the last turn ended (a lone frame waits for nothing, as before), else in
   * the next turn after the frames queued before it; resolves or rejects as `apply` does. `apply` runs synchronously
   * up to its first await, so the units of one turn commit together.
   */
  defer(apply: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const run = () => {
        try {
          apply().then(resolve, reject);
        } catch (err) {
          reject(err); // a throw before its first await: this frame fails, the rest of the turn still runs
        }
      };
      if (this.open) {
        this.queued.push(run);
        return;
      }
      this.open = true;
      setTimeout(() => this.drain(), 0);
      this.turn(run);
    });
  }

  private drain(): void {
    this.open = false;
    const frames = this.queued.splice(0);
    if (frames.length === 0) return;
    this.onQueued();
    this.turn(() => {
      for (const run of frames) run();
    });
  }
}
