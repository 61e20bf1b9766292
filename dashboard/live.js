// live.js — the product-wide poller every view shares: reads the queue version every few
// seconds and refetches stage counts (and the factory list) only when it changed; the
// factory list is also refreshed on a slower clock, since heartbeats do not bump the version.
// A read that fails waits longer before the next (jittered, up to MAX_TICK_MS), and one that works
// goes back to TICK_MS: every open tab polling an overloaded coordinator each 3 s kept it overloaded.

import { FACTORIES, QUEUE_STATE, STATS } from "./answers.js";
import { api, describeError } from "./api.js";
import { STAGES } from "./dom.js";
import { factoryLabel } from "./factory-label.js";
import { fleetTerms } from "./fleet-terms.js";
import { newestRead } from "./newest-read.js";

// The poller's words and terms, for the pages and tests that read them from here.
export { fleetTerms } from "./fleet-terms.js";
export { countText, summaryParts } from "./live-counts.js";

const TICK_MS = 3000;
/** The longest wait between reads after failures in a row: a tab finds the coordinator back within half a minute. */
const MAX_TICK_MS = 30_000;

/**
 * The wait before the next read after `failures` failed ones in a row: TICK_MS when none, else TICK_MS doubled per
 * failure up to MAX_TICK_MS, drawn from its upper half — every tab fails together when the coordinator does, and
 * must not come back in step.
 * @param {number} failures reads failed in a row, ≥ 0
 * @param {() => number} random in [0, 1)
 * @returns {number} ms
 */
export function nextTickMs(failures, random) {
  if (failures === 0) return TICK_MS;
  const backoff = Math.min(MAX_TICK_MS, TICK_MS * 2 ** failures);
  return Math.round(backoff * (0.5 + 0.5 * random()));
}
/**
 * Factory health follows heartbeat age, which the queue version does not track. Nothing cheaper tells a fleet move: the
 * coordinator keeps no fleet version (queue-state's moves with jobs), no feed carries factory events, and a health
 * that follows heartbeat age moves by time alone — a waiting job's reason lags a fleet move by up to this much.
 */
const FACTORY_REFRESH_MS = 15_000;
/**
 * What a tick found moved: the queue version, or the fleet as a waiting job's reason reads it (`fleetTerms`), which
 * moves no version (a factory connected or gone, drained, its breaker opened) — read at most each FACTORY_REFRESH_MS.
 * @typedef {{ versionChanged: boolean, fleetChanged: boolean }} LiveChange
 */

export class Live {
  /**
   * @param {import("./api.js").Session} session
   * @param {{ random?: () => number }} [opts] `random`: the jitter's source (tests pin it)
   */
  constructor(session, opts = {}) {
    this.session = session;
    /**
     * The token's role as GET …/whoami says it (app.js reads it once per sign-in), "" while unknown — an older
     * coordinator has no whoami: the pages then offer every control (role.js `can`).
     */
    this.role = "";
    /** How the audit log names the token's acts (whoami `actor`), "" while unknown. */
    this.actor = "";
    this.random = opts.random ?? Math.random;
    /** Reads failed in a row: how long the next tick waits (`nextTickMs`). */
    this.failures = 0;
    /**
     * The queue version whose counts (and factories) were read: until they are, each tick reads them again.
     * @type {number | undefined}
     */
    this.version = undefined;
    /**
     * The queue version the listeners were last told of (`versionChanged`). A tick whose reads after a new version
     * failed told them, and each failed tick after (the version still unread) told them again: every page re-read
     * its own (the board, a job) at each of those ticks, against a coordinator already failing.
     * @type {number | undefined}
     */
    this.told = undefined;
    /** Jobs per stage, exact (`GET …/stats`, read from the stage index). @type {Map<string, number>} */
    this.counts = new Map();
    /** @type {any[]} */
    this.factories = [];
    this.factoriesAt = 0;
    /** `fleetTerms` of the factories as last read. */
    this.fleet = "";
    this.error = "";
    /**
     * The counts' and the factories' reads, numbered as sent: a page's own read (a breaker released, a grant approved:
     * `loadFactories`) or a forced tick (`refresh`) crosses the tick out, whose older list, answering after, drew the
     * breaker open or the capability waiting again until the next read.
     */
    this.reads = { counts: newestRead(), factories: newestRead() };
    /** @type {Set<(c: LiveChange) => void>} */
    this.listeners = new Set();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.running = false;
    this.busy = false;
    /** @type {() => void} */
    let resolveReady = () => {};
    /** Settles after the first tick (success or not), so views start with factory names known. */
    this.ready = new Promise((resolve) => {
      resolveReady = () => resolve(undefined);
    });
    this.resolveReady = resolveReady;
  }

  /** @param {(c: LiveChange) => void} fn @returns {() => void} unsubscribe */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Factory name by id (ids are opaque; names are what people recognise): `name (id)` when two listed factories share
   * the name, the id when the list does not hold it (factory-label.js). @param {string | undefined} id
   */
  factoryName(id) {
    return factoryLabel(id, this.factories);
  }

  start() {
    this.running = true;
    void this.tick();
  }

  stop() {
    this.running = false;
    clearTimeout(this.timer);
  }

  /** Re-read everything now (after an action this page caused). */
  async refresh() {
    // The reads out were sent before the action: drawn before this tick's, they put the old state back.
    this.reads.counts.overtake();
    this.reads.factories.overtake();
    this.version = undefined;
    this.told = undefined; // the page's own action: its listeners are told, as at a new version
    await this.tick(true);
  }

  /** @param {boolean} [force] */
  async tick(force = false) {
    clearTimeout(this.timer);
    if (this.busy && !force) return;
    this.busy = true;
    let versionChanged = false;
    const fleetBefore = this.factoriesAt ? this.fleet : undefined; // none before the first read: no move
    try {
      if (!document.hidden || this.version === undefined) {
        const { version } = await api(this.session, "/queue-state", { answer: QUEUE_STATE });
        const unread = version !== this.version;
        versionChanged = version !== this.told;
        this.told = version;
        const factoriesStale = Date.now() - this.factoriesAt > FACTORY_REFRESH_MS;
        await Promise.all([unread ? this.loadCounts() : null, unread || factoriesStale ? this.loadFactories() : null]);
        this.version = version;
        this.error = "";
      }
      this.failures = 0;
    } catch (err) {
      this.error = describeError(err);
      this.failures++;
    } finally {
      this.busy = false;
    }
    this.resolveReady();
    const fleetChanged = fleetBefore !== undefined && this.fleet !== fleetBefore;
    for (const fn of this.listeners) fn({ versionChanged, fleetChanged });
    if (this.running) this.timer = setTimeout(() => void this.tick(), nextTickMs(this.failures, this.random));
  }

  /**
   * One read of `GET …/stats` (counts by stage from the coordinator's index), not a page of each stage: the header
   * said "100+" for a product past 100 jobs in a stage, and cost ten reads per version change.
   */
  async loadCounts() {
    const mine = this.reads.counts.begin();
    const stats = await api(this.session, "/stats", { answer: STATS });
    if (!this.reads.counts.newest(mine)) return; // overtaken: the newer read's counts stand
    this.counts = new Map(STAGES.map((s) => [s, Number(stats.counts?.[s] ?? 0)]));
  }

  /**
   * The factory list read again after an action this page caused (a Release, an Approve): a read out now was sent
   * before it, and drawn before this one answered it put the old card back (newest-read.js `overtake`).
   */
  reloadFactories() {
    this.reads.factories.overtake();
    return this.loadFactories();
  }

  /** Reads the factory list; one read sent after this one, answering first, is not written over. */
  async loadFactories() {
    const mine = this.reads.factories.begin();
    const { factories } = await api(this.session, "/factories", { answer: FACTORIES });
    if (!this.reads.factories.newest(mine)) return;
    this.factories = factories;
    this.fleet = fleetTerms(factories);
    this.factoriesAt = Date.now();
  }

  /** Total jobs over every stage. */
  total() {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}
