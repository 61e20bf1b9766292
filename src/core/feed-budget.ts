/**
 * @module core/feed-budget
 * How many job feeds (JobFeed Durable Objects) one coordinator may hold open at
 * once. Each feed it calls stays resident — its SQLite files open — until the
 * runtime evicts it, about ten seconds after its last request. A burst of
 * thousands of new jobs used to call thousands of feeds within that window, and
 * the local runtime ran out of file descriptors (`SQLITE_CANTOPEN`), taking D1
 * and the queues down with it. This budget admits a feed only while fewer than
 * `max` are counted open; a feed counts as open from its last use until
 * `idleMs` later. Feeds not admitted simply wait for a later delivery round:
 * their events stay in the outbox, nothing is dropped. Pure: `now` is a parameter.
 */

/**
 * Feeds one coordinator may count open at once. ~3 descriptors each (database,
 * WAL, shared memory) ≈ 1,500, and twice that if the runtime keeps them twice
 * as long as counted: under the usual descriptor limits. That is ~25 new feeds/s
 * over the window; a job's later events reuse its feed while it counts open,
 * so only the first events of brand-new jobs in a burst wait for a slot.
 */
export const MAX_OPEN_FEEDS = 512;
/**
 * How long a feed counts as open after its last use (ms). workerd evicts an
 * idle object ~10 s after its last request at best; measured locally after a
 * burst on a busy 2-core box, feeds went 15–20 s after their last append, in
 * sweeps once the coordinator paused — which the budget's waits give it.
 */
export const FEED_IDLE_MS = 20_000;

/**
 * New feeds opened back to back at most by `admitOne` (see there): one. Each new feed object stalls the runtime's
 * one thread 8–10 ms locally, so a round that opened 8 of them held every frame and submit behind ~80 ms — the
 * peers harness's W2 at 20/s had its p99 there (issue 12, fifth pass). One per round, with the shipper waking for
 * the next at `nextNewAt`, keeps the same pace in 10 ms slices.
 */
export const NEW_FEED_BURST = 1;
/**
 * The share of the usual pace at which new feeds open while the coordinator is loaded (`busy`: a dispatch pass left
 * runnable work waiting for a seat, or factory frames queued behind a turn): 2.5 feeds/s by default. A new feed
 * object costs the runtime's one thread 8–10 ms locally (issue 12, fourth pass: 10 % of the isolate in the
 * harness's W1), and nobody reads these feeds yet — a reader opens its own at once (core/feed-hold) — so a backlog
 * of runnable jobs goes first. Not zero: a backlog that never ends must not stop the feeds.
 */
export const BUSY_PACE = 0.1;
/** How long one sign of load counts as busy (ms); every pass or turn that shows it again renews it. */
export const BUSY_HOLD_MS = 2_000;

export class FeedBudget {
  /** key → last use (ms); Map order is least recently used first. */
  private readonly lastUse = new Map<string, number>();
  /** New feeds `admitOne` may still open at once (a token bucket refilled at max ÷ idleMs per ms). */
  private tokens: number;
  private refilledAt = Number.NEGATIVE_INFINITY;
  /** Until when (ms) the coordinator counts as loaded: new feeds open at `busyPace` meanwhile. */
  private busyUntil = Number.NEGATIVE_INFINITY;

  constructor(
    readonly max: number = MAX_OPEN_FEEDS,
    readonly idleMs: number = FEED_IDLE_MS,
    /** New feeds `admitOne` opens back to back at most; then one per idleMs ÷ max (25/s by default). */
    readonly burst: number = NEW_FEED_BURST,
    /** The share of the pace left while busy (see BUSY_PACE). */
    readonly busyPace: number = BUSY_PACE,
  ) {
    this.tokens = burst;
  }

  /**
   * Whether `key`'s feed may be called now: any feed counted open, a new one while fewer than `max` are open
   * (it is then marked used at `now`, ms). A new feed also spends a token: new feeds open at a steady max ÷ idleMs,
   * in bursts of at most `burst` — not `max` at once whenever a burst's slots all free together (locally each new
   * feed object stalls the runtime's thread ~7 ms, and 200 of them at once put a second into the growth bench's
   * dispatch p99). While `busy`, the refill runs at
   * `busyPace` of that rate.
   */
  admitOne(key: string, now: number): boolean {
    this.prune(now);
    if (!this.lastUse.has(key)) {
      if (this.lastUse.size >= this.max) return false;
      this.tokens = this.tokensAt(now);
      this.refilledAt = now;
      if (this.tokens < 1) return false;
      this.tokens -= 1;
    }
    this.touch(key, now);
    return true;
  }

  /**
   * The coordinator is loaded at `now` (ms) — a dispatch pass left runnable work waiting for a seat, or frames queued
   * behind a turn: new feeds open at `busyPace` for the next `holdMs`. Feeds counted open, and feeds a reader wants
   * (they are open already: `touch`), are not slowed.
   */
  busy(now: number, holdMs: number = BUSY_HOLD_MS): void {
    this.busyUntil = Math.max(this.busyUntil, now + holdMs);
  }

  /** Whether the coordinator counts as loaded at `now` (ms): a sign of load came within the last `holdMs`. */
  isBusy(now: number): boolean {
    return now < this.busyUntil;
  }

  /** When (ms) the coordinator stops counting as loaded, unless another sign of load comes first; −∞ if never busy. */
  busyEndsAt(): number {
    return this.busyUntil;
  }

  /**
   * When (ms) `admitOne` could next admit a new feed, as things stand at `now`: now if it could at once; else the
   * later of when a token is refilled (at the busy pace if busy until then) and, with every slot taken, when the least
   * recently used feed stops counting as open. Never earlier than `now`, and `admitOne` admits a new feed then (the
   * outbox's shipper wakes at it: a time a hair early woke it for a round that could open nothing). +∞ when a new
   * feed is never admitted (a `burst` under one token).
   */
  nextNewAt(now: number): number {
    this.prune(now);
    const token = this.tokenAt(now);
    if (this.lastUse.size < this.max) return token;
    // Every slot taken: a slot frees at the LRU's idle end, and a token must be there too — busy, the refill is
    // slower than the slots free (512 feeds opened in 20 s at the usual pace, then load: the slot at 20 s, the token
    // at ~20.4 s).
    return Math.max(now, (this.lastUse.values().next().value ?? now) + this.idleMs, token);
  }

  /**
   * The first whole ms from `now` at which `tokensAt` reads a whole token, the comparison `admitOne` makes. Its
   * estimate `now + ⌈(1 − tokens) ÷ rate⌉` can land where the sum reads 0.9999999999999999 (max 2, idleMs 80,324,
   * pace 0.01: nine refused calls added their refills one by one), or a ms past the first that reads 1, so it is
   * stepped to the ms the comparison itself picks.
   */
  private tokenAt(now: number): number {
    if (this.burst < 1) return Number.POSITIVE_INFINITY; // tokensAt never reaches one
    const tokens = this.tokensAt(now);
    if (tokens >= 1) return now;
    let at = now + Math.ceil((1 - tokens) / this.refillPerMs(now));
    while (this.tokensAt(at) < 1) at++; // ends: each ms adds a refill far above a float's error, up to `burst` ≥ 1
    while (at - 1 > now && this.tokensAt(at - 1) >= 1) at--;
    return at;
  }

  /** The tokens there would be at `now` (ms): refilled since the last admission, at most `burst`. */
  private tokensAt(now: number): number {
    return Math.min(this.burst, this.tokens + (now - this.refilledAt) * this.refillPerMs(now));
  }

  /** New feeds per ms: max ÷ idleMs, times `busyPace` while busy. */
  private refillPerMs(now: number): number {
    return ((this.isBusy(now) ? this.busyPace : 1) * this.max) / this.idleMs;
  }

  /** Marks `key` used at `now` (ms): call it again when the call to the feed ends. */
  touch(key: string, now: number): void {
    this.lastUse.delete(key);
    this.lastUse.set(key, now);
  }

  /** Feeds counted open at `now` (ms). */
  openCount(now: number): number {
    this.prune(now);
    return this.lastUse.size;
  }

  private prune(now: number): void {
    for (const [key, at] of this.lastUse) {
      if (at + this.idleMs > now) return;
      this.lastUse.delete(key);
    }
  }
}
