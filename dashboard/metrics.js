// metrics.js — small tiles under the header: queued and blocked jobs, seats busy/total, utilisation and dispatch p50/p99 (read
// off the latency histogram the way Prometheus' histogram_quantile does), from GET …/metrics. Refreshed on the shared
// poller's updates (live.js): when the queue version moves, and at most every 30 s otherwise, since seats and
// latency change without a version bump (a move while a read is out reads once more after it); a failed read again on
// the next tick, its old figures dimmed and dated meanwhile.

import { afterDrawn } from "./announce.js";
import { METRICS } from "./answers.js";
import { api, describeError, transient } from "./api.js";
import { clock, h, replace, wholePercent } from "./dom.js";
import { heldAway } from "./fleet-seats.js";
import { counted } from "./format.js";

/** Seats and latency move without a queue-version bump: re-read at most this often then (ms). */
const IDLE_REFRESH_MS = 30_000;

/**
 * The q-quantile from cumulative buckets [{le, count}] (le a number or "+Inf"); undefined with no samples. Same rule
 * as core/metrics `quantileMs`: linear inside the bucket holding the rank, the largest finite bound past it.
 * @param {Array<{ le: number | "+Inf", count: number }>} buckets @param {number} q
 */
export function quantile(buckets, q) {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const b of buckets) {
    if (b.count >= rank) {
      if (b.le === "+Inf") return lower;
      const inside = b.count - below;
      return inside === 0 ? b.le : lower + ((b.le - lower) * (rank - below)) / inside;
    }
    if (b.le !== "+Inf") lower = b.le;
    below = b.count;
  }
  return lower;
}

/** @param {number} v ms */
const ms = (v) => (v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);

/**
 * The q-quantile as the tile shows it: "12 ms", "—" with no samples, and "> 10 s" (over the last finite bound) when
 * the rank falls in the `+Inf` bucket — there `quantile` answers that bound, a lower limit, not the value.
 * @param {Array<{ le: number | "+Inf", count: number }>} buckets cumulative @param {number} q
 */
export function quantileText(buckets, q) {
  const v = quantile(buckets, q);
  if (v === undefined) return "—";
  const finite = buckets.filter((b) => b.le !== "+Inf");
  const lastBound = /** @type {number | undefined} */ (finite.at(-1)?.le);
  const inInf = lastBound !== undefined && q * (buckets.at(-1)?.count ?? 0) > (finite.at(-1)?.count ?? 0);
  if (!inInf) return ms(v);
  return `> ${lastBound >= 1000 && lastBound % 1000 === 0 ? `${lastBound / 1000} s` : ms(lastBound)}`;
}

/**
 * @param {string} label @param {string} value @param {string} title
 * @param {string} [note] a short line under the label, shown (a title shows on hover only)
 */
const tile = (label, value, title, note) =>
  h(
    "div",
    { class: "tile", title },
    h("span", { class: "tile-value" }, value),
    h("span", { class: "tile-label" }, label),
    ...(note ? [h("span", { class: "tile-note" }, note)] : []),
  );

/** The p99 tile's note, in the CLI `metrics` line's words: what its wait counts. */
export const DISPATCH_NOTE = "due → leased: waits for a factory or a seat count";

/**
 * The tiles as [label, value, title, note?], from the GET …/metrics document. Queued and blocked are two tiles: one "queued"
 * tile counting both read "3 queued" beside the header's "1 queued". Seats count as the coordinator does: of active
 * factories that are up — a factory down or never connected cannot take work (the Fleet page says the same).
 * @param {any} m
 * @param {any[]} [factories] the fleet as last read (GET …/factories): the leases held by factories whose seats are not
 * counted are said apart (fleet-seats.js), as the Fleet line says them; none when absent
 * @returns {Array<[string, string, string] | [string, string, string, string]>}
 */
export function tilesOf(m, factories = []) {
  const depth = m.queue.depthByStage;
  const lat = m.dispatchLatencyMs;
  // What the figure counts (core/metrics dispatchLatencyMs: due → lease): a job's wait for a capable, connected,
  // not-excluded factory or a free seat is in it — one job that waited for a host read "> 10 s" on an idle demo, as if
  // the coordinator were slow.
  // Never more than the leases the metrics count: the fleet list is another read, a moment apart.
  const held = heldAway(factories);
  const away = { jobs: Math.min(held.jobs, m.seats.busy), why: held.why };
  const latTip = `Due → lease granted, over ${counted(lat.count, "dispatch", "dispatches")} — a job's wait for a capable, connected factory or a free seat counts too, not the coordinator's speed alone`;
  return [
    ["queued", String(depth.queued ?? 0), "Jobs in the queue, waiting for a factory"],
    ["blocked", String(depth.blocked ?? 0), "Jobs waiting for their dependencies or children"],
    seatsTile(m.seats, away),
    utilisationTile(m.seats.utilisation, away),
    ["dispatch p50", quantileText(lat.buckets, 0.5), latTip],
    // Shown, not only hovered: "> 10 s" with no word beside it read as a slow coordinator (newcomer, pass 43). The
    // CLI's `metrics` says the same after its figures.
    ["dispatch p99", quantileText(lat.buckets, 0.99), latTip, DISPATCH_NOTE],
  ];
}

/** "a factory down", "factories down, draining". @param {{ jobs: number, why: string }} away */
const heldBy = (away) => `${away.jobs === 1 ? "a factory" : "factories"} ${away.why}`;

/**
 * The seats tile: live leases / seats counted (active factories that are up). Leases held by factories whose seats are
 * not counted (gone down holding one) are named in its label, "seats busy · 1 held by a factory down": "1/1 seats
 * busy" beside an idle up seat read as a full fleet where the Fleet line said "0 of 1 seat busy" (pass 43). Of the
 * seats counted, those on factories whose link ended (`seats.disconnected`: no live socket, not polling — still
 * counted while their heartbeats say up, ~30 s) are named too, "· 3 disconnected"; an older coordinator says none.
 * `disconnectedFactories` counts every factory whose link ended, any status (a draining one's seats are not counted):
 * said as that, not as the factories those seats are on.
 * @param {{busy: number, total: number, disconnected?: number, disconnectedFactories?: number}} s
 * @param {{ jobs: number, why: string }} away leases held by factories whose seats are not counted (fleet-seats.js)
 * @returns {[string, string, string]}
 */
function seatsTile(s, away) {
  let label = "seats busy";
  let title = "Live leases / seats of active factories that are up (not down, left or never connected)";
  if (away.jobs) {
    label += ` · ${away.jobs} held by ${heldBy(away)}`;
    title += `; ${counted(away.jobs, "lease")} of them held by ${heldBy(away)}, whose seats are not counted: ${Math.max(s.busy - away.jobs, 0)} of the ${counted(s.total, "seat")} counted busy`;
  }
  const cut = typeof s.disconnected === "number" ? s.disconnected : 0;
  if (cut) {
    label += ` · ${cut} disconnected`;
    const links = counted(s.disconnectedFactories ?? 0, "factory", "factories");
    title += `; ${counted(cut, "seat")} counted are on factories whose link ended: no work reaches them (links ended in all: ${links}, of any status — a draining or quarantined one's seats are not counted)`;
  }
  return [label, `${s.busy}/${s.total}`, title];
}

/**
 * The utilisation tile: the metrics' busy / total, a lease held by a factory down counted — said under it then.
 * @param {number} u busy / total, 0..1 (or more: leases held away count) @param {{ jobs: number, why: string }} away
 * @returns {[string, string, string] | [string, string, string, string]}
 */
function utilisationTile(u, away) {
  const tile = /** @type {[string, string, string]} */ ([
    "utilisation",
    `${wholePercent(u)}%`,
    "Live leases / seats counted",
  ]);
  return away.jobs ? [...tile, `counts ${counted(away.jobs, "lease")} held by ${heldBy(away)}`] : tile;
}

/** @param {HTMLElement} el @param {any} m the GET …/metrics document @param {any[]} factories the fleet as last read */
function render(el, m, factories) {
  replace(el, ...tilesOf(m, factories).map(([label, value, title, note]) => tile(label, value, title, note)));
}

/**
 * Show the tiles in `el` while `live` runs. @param {HTMLElement} el @param {import("./live.js").Live} live
 * @returns {() => void} stop
 */
export function mountMetricsTiles(el, live) {
  let last = 0;
  /** When the figures shown were read; 0 before the first read that worked. */
  let readAt = 0;
  /** The last read failed in a way that may pass: the next tick reads again, not the one 30 s on. */
  let retry = false;
  let inFlight = false;
  /**
   * The queue moved while a read was out: that read may have been answered before the move, so one more follows it.
   * Dropped, the tiles showed the old depth until the next move or the 30 s idle read.
   */
  let moved = false;
  /**
   * Until stopped. The tiles are the header's, shared by every session of the tab: a read still out at sign-out drew
   * the old product's figures under the next session's header when it answered.
   */
  let alive = true;
  el.hidden = false;
  const refresh = async (/** @type {{ versionChanged: boolean }} */ change) => {
    if (inFlight) {
      moved ||= change.versionChanged;
      return;
    }
    if (!change.versionChanged && !retry && Date.now() - last < IDLE_REFRESH_MS) return;
    inFlight = true;
    try {
      const m = await api(live.session, "/metrics?format=json", { answer: METRICS });
      if (!alive) return;
      render(el, m, live.factories);
      readAt = Date.now();
      retry = false;
      el.removeAttribute("data-error");
    } catch (err) {
      if (!alive) return;
      // The old figures stay, but say so: a tile still reading "0 queued" after the read failed looked current.
      const why = describeError(err);
      retry = transient(err);
      el.setAttribute("data-error", why);
      const since = readAt ? `Figures as of ${clock(readAt)}: ` : "No figures: ";
      // One line, its words changed only when they change: a line made anew at each failed retry (every tick) was a
      // live region's news each time, read aloud every 3 s while the coordinator failed.
      const text = `${since}${why}`;
      const line = /** @type {HTMLElement | null} */ (el.querySelector(".tiles-stale"));
      if (!line) {
        // Put in empty and written once drawn (announce.js afterDrawn): made holding its words, it was no news to
        // some screen readers. Failures meanwhile leave the latest words to write (data-unsaid).
        const made = h("p", { class: "tiles-stale error", role: "status", dataset: { unsaid: text } });
        el.append(made);
        afterDrawn(() => {
          if (made.dataset.unsaid !== undefined) made.textContent = made.dataset.unsaid;
          delete made.dataset.unsaid;
        });
      } else if (line.dataset.unsaid !== undefined) line.dataset.unsaid = text;
      else if (line.textContent !== text) line.textContent = text;
    } finally {
      last = Date.now();
      inFlight = false;
    }
    if (moved && alive) {
      moved = false;
      void refresh({ versionChanged: true });
    }
  };
  // A factory gone down holding a lease moves no queue version: the fleet's move reads the figures again, so the seats
  // tile says the lease apart (fleet-seats.js) at once, not at the 30 s idle read.
  const unsubscribe = live.subscribe((c) => void refresh({ versionChanged: c.versionChanged || c.fleetChanged }));
  void refresh({ versionChanged: true });
  return () => {
    alive = false;
    unsubscribe();
    el.hidden = true;
    replace(el);
  };
}
