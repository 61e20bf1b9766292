// live.js — the product-wide poller every view shares: reads the queue version every few
// seconds and refetches stage counts (and the factory list) only when it changed; the
// factory list is also refreshed on a slower clock, since heartbeats do not bump the version.

import { api, describeError } from "./api.js";
import { STAGES } from "./dom.js";

const TICK_MS = 3000;
/** Factory health follows heartbeat age, which the queue version does not track. */
const FACTORY_REFRESH_MS = 15_000;
/** Counts come from listing each stage (the API has no count endpoint): exact up to this many. */
export const COUNT_CAP = 100;

/** @typedef {{ n: number, more: boolean }} StageCount */
/** @typedef {{ versionChanged: boolean }} LiveChange */

export class Live {
  /** @param {import("./api.js").Session} session */
  constructor(session) {
    this.session = session;
    /** @type {number | undefined} */
    this.version = undefined;
    /** @type {Map<string, StageCount>} */
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

  async loadCounts() {
    const pages = await Promise.all(STAGES.map((s) => api(this.session, `/jobs?stage=${s}&limit=${COUNT_CAP}`)));
    this.counts = new Map(STAGES.map((s, i) => [s, { n: pages[i].jobs.length, more: Boolean(pages[i].nextCursor) }]));
  }

  async loadFactories() {
    const { factories } = await api(this.session, "/factories");
    this.factories = factories;
    this.factoriesAt = Date.now();
  }

  /** Total jobs, and whether any stage hit the count cap. */
  total() {
    let n = 0;
    let more = false;
    for (const c of this.counts.values()) {
      n += c.n;
      more ||= c.more;
    }
    return { n, more };
  }
}

/** "42" or "100+". @param {StageCount | undefined} c */
export function countText(c) {
  if (!c) return "…";
  return c.more ? `${c.n}+` : String(c.n);
}
