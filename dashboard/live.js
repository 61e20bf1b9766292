// live.js — the product-wide poller every view shares: reads the queue version every few
// seconds and refetches stage counts (and the factory list) only when it changed; the
// factory list is also refreshed on a slower clock, since heartbeats do not bump the version.

import { api, describeError } from "./api.js";
import { STAGES } from "./dom.js";

const TICK_MS = 3000;
/** Factory health follows heartbeat age, which the queue version does not track. */
const FACTORY_REFRESH_MS = 15_000;
/** @typedef {{ versionChanged: boolean }} LiveChange */

export class Live {
  /** @param {import("./api.js").Session} session */
  constructor(session) {
    this.session = session;
    /** @type {number | undefined} */
    this.version = undefined;
    /** Jobs per stage, exact (`GET …/stats`, read from the stage index). @type {Map<string, number>} */
    this.counts = new Map();
    /** @type {any[]} */
    this.factories = [];
    this.factoriesAt = 0;
    this.error = "";
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

  /** Factory name by id (ids are opaque; names are what people recognise). @param {string | undefined} id */
  factoryName(id) {
    if (!id) return "";
    return this.factories.find((f) => f.id === id)?.name ?? id;
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
    this.version = undefined;
    await this.tick(true);
  }

  /** @param {boolean} [force] */
  async tick(force = false) {
    clearTimeout(this.timer);
    if (this.busy && !force) return;
    this.busy = true;
    let versionChanged = false;
    try {
      if (!document.hidden || this.version === undefined) {
        const { version } = await api(this.session, "/queue-state");
        versionChanged = version !== this.version;
        const factoriesStale = Date.now() - this.factoriesAt > FACTORY_REFRESH_MS;
        await Promise.all([
          versionChanged ? this.loadCounts() : null,
          versionChanged || factoriesStale ? this.loadFactories() : null,
        ]);
        this.version = version;
        this.error = "";
      }
    } catch (err) {
      this.error = describeError(err);
    } finally {
      this.busy = false;
    }
    this.resolveReady();
    for (const fn of this.listeners) fn({ versionChanged });
    if (this.running) this.timer = setTimeout(() => void this.tick(), TICK_MS);
  }

  /**
   * One read of `GET …/stats` (counts by stage from the coordinator's index), not a page of each stage: the header
   * said "100+" for a product past 100 jobs in a stage, and cost ten reads per version change.
   */
  async loadCounts() {
    const stats = await api(this.session, "/stats");
    this.counts = new Map(STAGES.map((s) => [s, Number(stats.counts?.[s] ?? 0)]));
  }

  async loadFactories() {
    const { factories } = await api(this.session, "/factories");
    this.factories = factories;
    this.factoriesAt = Date.now();
  }

  /** Total jobs over every stage. */
  total() {
    let n = 0;
    for (const c of this.counts.values()) n += c;
    return n;
  }
}

/** "1,234", or "…" before the first read. @param {number | undefined} n */
export function countText(n) {
  return n === undefined ? "…" : n.toLocaleString("en-US");
}
