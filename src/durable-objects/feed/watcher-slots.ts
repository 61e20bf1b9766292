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
 * One token holds at most `perToken` of them (MAX_WATCHERS_PER_TOKEN; the admin is not bounded so): counted by the
 * token hash each stream is opened under (feed/revocation), passes included, so one read-only token cannot take every
 * slot of a job and lock out the people who must act on it.
 *
 * Passes live in memory, at most MAX_WATCHERS (a pass is given only while watchers + passes are under the cap), each
 * for PASS_TTL_MS: a Worker that died between its reserve and its stream holds a slot that long, not longer. A pass
 * lost with the object (eviction) only means the accept counts without it, as before.
 */

/** How long a pass holds its slot: the Worker's register and open calls in between take milliseconds, seconds at worst. */
export const PASS_TTL_MS = 10_000;

/** A token hash (what a stream is opened under), as opposed to the admin's "admin". */
const HASH_RE = /^[0-9a-f]{64}$/;

/** 64 random bits, hex: a pass the Worker reads off `reserve`'s answer, not one a client can name. */
function newPass(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What `reserve` answers: a pass for the accept, or the watchers that fill the job's cap, or the opener's. */
export type Reservation = { pass: string } | Refusal;

/** A slot refused: the job's cap (`full`: its watchers), or the opener's own (`tokenFull`: the streams it holds). */
export type Refusal = { full: number } | { tokenFull: number };

export class WatcherSlots {
  /** Pass → when it lapses (ms) and who it is for (a token hash, or "admin"). */
  private readonly passes = new Map<string, { until: number; opener: string }>();

  /**
   * @param cap watchers a job may have (MAX_WATCHERS)
   * @param watching how many watch now (sockets + SSE streams still held)
   * @param perToken streams one token may hold (MAX_WATCHERS_PER_TOKEN)
   * @param watchingBy how many streams an opener holds now (0 for the admin: not bounded per token)
   */
  constructor(
    private readonly cap: number,
    private readonly watching: () => number,
    private readonly perToken: number,
    private readonly watchingBy: (opener: string) => number,
  ) {}

  /** A slot for a stream `opener` is about to register, at `now` (ms), or the refusal (passes counted). */
  reserve(now: number, opener: string): Reservation {
    const refused = this.refusal(now, opener);
    if (refused) return refused;
    const pass = newPass();
    this.passes.set(pass, { until: now + PASS_TTL_MS, opener });
    return { pass };
  }

  /** The stream `pass` was for will not come (the Worker refused it after all): its slot is free again. */
  release(pass: string): void {
    this.passes.delete(pass);
  }

  /**
   * The stream `opener` opens is being accepted (or refused for another reason): its pass, if any, is used up.
   * Returns the refusal when there is no room for it (the job's cap, or the opener's), else undefined.
   */
  admit(pass: string | null, now: number, opener: string): Refusal | undefined {
    if (pass !== null) this.passes.delete(pass);
    return this.refusal(now, opener);
  }

  /** The job's cap or the opener's, if reached (watchers plus passes not yet lapsed; lapsed ones dropped). */
  private refusal(now: number, opener: string): Refusal | undefined {
    for (const [pass, p] of this.passes) if (p.until <= now) this.passes.delete(pass);
    const taken = this.watching() + this.passes.size;
    if (taken >= this.cap) return { full: taken };
    const own = this.watchingBy(opener);
    if (own === 0 && !HASH_RE.test(opener)) return undefined; // the admin: not bounded per token
    let held = own;
    for (const p of this.passes.values()) if (p.opener === opener) held++;
    return held >= this.perToken ? { tokenFull: held } : undefined;
  }
}
