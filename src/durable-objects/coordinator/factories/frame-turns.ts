/**
 * @module durable-objects/coordinator/factories/frame-turns
 * Factory frames applied in turns: a frame is applied at the next turn of the event loop, together with every
 * frame received before that turn — each still its own unit, in arrival order, answered on its own.
 *
 * Why: a Durable Object commits its SQLite writes once per turn of the event loop that wrote, and that commit,
 * not the statements, is most of what a frame costs. Measured in the local runtime (issue 12): an event that
 * writes one row costs ~200 µs against ~5 µs per statement, and five transactions in one event cost what one
 * does. A factory sends 2–3 frames per job, so at a few hundred jobs/s one commit per frame was most of the
 * coordinator's time; under load, frames that arrive together now share one. Alone, a frame waits one timer
 * tick (`setTimeout(0)`) more than before.
 *
 * Nothing about a unit changes: its transaction, its answer before any dispatch pass it causes (the first pass
 * runs in the same turn: factories/throttle), and the output gate holds every answer until the commit is durable.
 */

export class FrameTurns {
  private queued: Array<() => void> = [];

  /** `turn`: runs the frames of one turn it is given (factories/throttle `holding`: one dispatch pass after all). */
  constructor(private readonly turn: (frames: () => void) => void = (frames) => frames()) {}

  /**
   * Runs `apply` in the next turn, after the frames queued before it; resolves or rejects as `apply` does.
   * `apply` runs synchronously up to its first await, so the units of one turn commit together.
   */
  defer(apply: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.queued.length === 0) setTimeout(() => this.drain(), 0);
      this.queued.push(() => {
        try {
          apply().then(resolve, reject);
        } catch (err) {
          reject(err); // a throw before its first await: this frame fails, the rest of the turn still runs
        }
      });
    });
  }

  /** How many frames wait for the next turn (tests). */
  get waiting(): number {
    return this.queued.length;
  }

  private drain(): void {
    const frames = this.queued.splice(0);
    this.turn(() => {
      for (const run of frames) run();
    });
  }
}
