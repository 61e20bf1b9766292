// metrics.js — small tiles under the header: queued and blocked jobs, seats busy/total, utilisation and dispatch p50/p99 (read
// off the latency histogram the way Prometheus' histogram_quantile does), from GET …/metrics. Refreshed on the shared
// poller's updates (live.js): when the queue version moves, and at most every 30 s otherwise, since seats and
// latency change without a version bump (a move while a read is out reads once more after it); a failed read again on
// the next tick, its old figures dimmed and dated meanwhile.

import { afterDrawn } from "./announce.js";
import { METRICS } from "./answers.js";
import { api, describeError, transient } from "./api.js";
import { clock, h, replace, wholePercent } from "./dom.js";
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
 * @returns {Array<[string, string, string] | [string, string, string, string]>}
 */
export function tilesOf(m) {
  const depth = m.queue.depthByStage;
  const lat = m.dispatchLatencyMs;
  // What the figure counts (core/metrics dispatchLatencyMs: due → lease): a job's wait for a capable, connected,
  // not-excluded factory or a free seat is in it — one job that waited for a host read "> 10 s" on an idle demo, as if
  // the coordinator were slow.
  const latTip = `Due → lease granted, over ${counted(lat.count, "dispatch", "dispatches")} — a job's wait for a capable, connected factory or a free seat counts too, not the coordinator's speed alone`;
  return [
    ["queued", String(depth.queued ?? 0), "Jobs in the queue, waiting for a factory"],
    ["blocked", String(depth.blocked ?? 0), "Jobs waiting for their dependencies or children"],
    seatsTile(m.seats),
    ["utilisation", `${wholePercent(m.seats.utilisation)}%`, "Busy seats / those seats"],
    ["dispatch p50", quantileText(lat.buckets, 0.5), latTip],
    // Shown, not only hovered: "> 10 s" with no word beside it read as a slow coordinator (newcomer, pass 43). The
    // CLI's `metrics` says the same after its figures.
    ["dispatch p99", quantileText(lat.buckets, 0.99), latTip, DISPATCH_NOTE],
  ];
}

/**
 * The seats tile. Of the seats counted, those on factories whose link ended (`seats.disconnected`: no live socket,
 * not polling — still counted while their heartbeats say up, ~30 s) are named in its label, "seats busy · 3
 * disconnected", and its title; an older coordinator says none.
 * @param {{busy: number, total: number, disconnected?: number, disconnectedFactories?: number}} s
 * @returns {[string, string, string]}
 */
function seatsTile(s) {
  const title = "Seats holding a lease / seats of active factories that are up (not down or never connected)";
  const cut = typeof s.disconnected === "number" ? s.disconnected : 0;
  if (!cut) return ["seats busy", `${s.busy}/${s.total}`, title];
  const on = counted(s.disconnectedFactories ?? 0, "factory", "factories");
  return [
    `seats busy · ${cut} disconnected`,
    `${s.busy}/${s.total}`,
    `${title}; ${counted(cut, "seat")} of them on ${on} whose link ended: no work reaches them`,
  ];
}

/** @param {HTMLElement} el @param {any} m the GET …/metrics document */
function render(el, m) {
  replace(el, ...tilesOf(m).map(([label, value, title, note]) => tile(label, value, title, note)));
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
      render(el, m);
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
  const unsubscribe = live.subscribe((c) => void refresh(c));
  void refresh({ versionChanged: true });
  return () => {
    alive = false;
    unsubscribe();
    el.hidden = true;
    replace(el);
  };
}
