/**
 * @module durable-objects/feed/watcher-slots
 * A job feed's watcher cap, asked BEFORE a stream is registered. Checked only where the stream is accepted, a
 * reconnect refused at the cap had already cost the product's coordinator two or three calls — registering the
 * watcher (spending its ticket), opening the feed (shipping held events), and giving the ticket back — and a storm of
 * reconnects to a popular job (the dashboard retries, every CLI `watch` too) turned each refusal into coordinator
 * load. So the Worker first reserves a slot here (`reserve`, one call to this feed, none to the coordinator): refused,
 * it answers 429 at once; granted, it gets a pass that the accept (`admit`) takes back, so of many reconnects racing
 * for the last free slots exactly as many get passes as there are slots, and the rest are refused here too.
 *
 * Passes live in memory, at most MAX_WATCHERS (a pass is given only while watchers + passes are under the cap), each
 * for PASS_TTL_MS: a Worker that died between its reserve and its stream holds a slot that long, not longer. A pass
 * lost with the object (eviction) only means the accept counts without it, as before.
 */

/** How long a pass holds its slot: the Worker's register and open calls in between take milliseconds, seconds at worst. */
export const PASS_TTL_MS = 10_000;

/** 64 random bits, hex: a pass the Worker reads off `reserve`'s answer, not one a client can name. */
function newPass(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What `reserve` answers: a pass for the accept, or the number of watchers that fill the cap. */
export type Reservation = { pass: string } | { full: number };

export class WatcherSlots {
  /** Pass → when it lapses (ms). */
  private readonly passes = new Map<string, number>();

  /**
   * @param cap watchers a job may have (MAX_WATCHERS)
   * @param watching how many watch now (sockets + SSE streams still held)
   */
  constructor(
    private readonly cap: number,
    private readonly watching: () => number,
  ) {}

  /** A slot for a stream about to be registered, at `now` (ms), or `full` (the watchers counted, passes included). */
  reserve(now: number): Reservation {
    const taken = this.taken(now);
    if (taken >= this.cap) return { full: taken };
    const pass = newPass();
    this.passes.set(pass, now + PASS_TTL_MS);
    return { pass };
  }

  /** The stream `pass` was for will not come (the Worker refused it after all): its slot is free again. */
  release(pass: string): void {
    this.passes.delete(pass);
  }

  /**
   * The stream is being accepted (or refused for another reason): its pass, if any, is used up. Returns the watchers
   * that fill the cap when there is no room for it, else undefined.
   */
  admit(pass: string | null, now: number): number | undefined {
    if (pass !== null) this.passes.delete(pass);
    const taken = this.taken(now);
    return taken >= this.cap ? taken : undefined;
  }

  /** Watchers plus passes not yet lapsed (lapsed ones dropped). */
  private taken(now: number): number {
    for (const [pass, until] of this.passes) if (until <= now) this.passes.delete(pass);
    return this.watching() + this.passes.size;
  }
}
