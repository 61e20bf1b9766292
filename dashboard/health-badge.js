/**
 * @module dashboard/health-badge
 * The product health badge in the header (#health-badge): GET …/health's status (healthy / degraded / stalled),
 * refreshed on a timer, its title the open alerts and factories. A stalled product says since when — the badge said
 * "stalled" alone, and an operator could not tell a stall of two minutes from one of two days without the CLI.
 * `stalledSince` mirrors src/core/health.ts `stalledFrom` (which the dashboard cannot import) from the answer's own
 * fields: the later of the last finish and the start of the longest wait, plus twice the expected finish interval.
 */

import { HEALTH } from "./answers.js";
import { api } from "./api.js";
import { clock, replace, when } from "./dom.js";
import { counted } from "./format.js";
import { newestRead } from "./newest-read.js";

/** Health is a summary, not a feed: every 15 s keeps the header current without loading the coordinator. */
const HEALTH_EVERY_MS = 15_000;
const MINUTE_MS = 60_000;
/** Past this, "since 14:02" could be yesterday's 14:02: the badge names the date too. */
const SAME_DAY_MS = 20 * 60 * MINUTE_MS;

/**
 * When a stalled product became stalled, epoch ms (core/health `stalledFrom`); undefined when it is not stalled or
 * the answer lacks what it takes (an older coordinator).
 * @param {{ status: string, lastFinishedAt?: number | null, oldestQueuedAt?: number | null,
 *   thresholds?: { expectedFinishIntervalMinutes?: number } }} hl GET …/health's answer
 * @returns {number | undefined}
 */
export function stalledSince(hl) {
  const waited = hl.oldestQueuedAt;
  const every = hl.thresholds?.expectedFinishIntervalMinutes;
  if (hl.status !== "stalled" || typeof waited !== "number" || typeof every !== "number") return undefined;
  const from = Math.max(hl.lastFinishedAt ?? waited, waited);
  return from + 2 * every * MINUTE_MS;
}

/**
 * The badge's words and title at `now`: "stalled since 14:02" (a date too when longer ago than 20 h), else the status
 * alone — each with " · 1 disconnected" while factories counted up have lost their link. The words are a time, not an age: the badge is a polite live region, and an age ticking every read would be
 * announced every 15 s.
 * @param {any} hl GET …/health's answer @param {number} now epoch ms
 * @returns {{ text: string, title: string }}
 */
export function healthText(hl, now) {
  const f = hl.factories;
  // Of ok + degraded, those whose link ended (GET …/health `factories.disconnected`; an older coordinator says none):
  // their heartbeats turn them down ~30 s later, the header says it at once, as the fleet line does.
  const cut = typeof f.disconnected === "number" && f.disconnected > 0 ? f.disconnected : 0;
  const cutTitle = cut ? ` (${cut} of these disconnected: no live link, no work reaches them)` : "";
  const cutText = cut ? ` · ${cut} disconnected` : "";
  const summary = `${counted(hl.openAlerts.total, "open alert")} · factories ${f.ok} ok, ${f.degraded} degraded${cutTitle}, ${f.down} down`;
  const since = stalledSince(hl);
  if (since === undefined) return { text: `${hl.status}${cutText}`, title: summary };
  const shipped = typeof hl.lastFinishedAt === "number" ? `since ${when(hl.lastFinishedAt)}` : "yet";
  const every = hl.thresholds.expectedFinishIntervalMinutes;
  return {
    text: `stalled since ${now - since > SAME_DAY_MS ? when(since) : clock(since)}${cutText}`,
    title: `Stalled since ${when(since)}: nothing shipped ${shipped} while work waits (one is expected every ${every} min) · ${summary}`,
  };
}

/**
 * Keep `el` showing the product's health; returns a stop function.
 * @param {HTMLElement} el
 * @param {import("./live.js").Live} live
 */
export function mountHealth(el, live) {
  let alive = true;
  // Two reads can be out at once (the 15 s one, and the one at the shared poller's recovery): the older, answering
  // late, said the health as it was before the newer one — "stalled" back after "healthy" — for up to 15 s.
  const reads = newestRead();
  const show = async () => {
    const mine = reads.begin();
    try {
      const hl = await api(live.session, "/health", { answer: HEALTH });
      if (!alive || !reads.newest(mine)) return;
      const { text, title } = healthText(hl, Date.now());
      el.hidden = false;
      el.className = `badge health-${hl.status}`;
      el.dataset.status = hl.status;
      el.title = title;
      // Written only when the words change: the badge is a polite live region, said again at each write (15 s).
      if (el.textContent !== text) replace(el, text);
    } catch {
      // The header stays quiet: the page's own requests show connection trouble.
      if (alive && reads.newest(mine)) el.hidden = true; // an older read's failure is not the health now
    }
  };
  void show();
  const timer = setInterval(() => void show(), HEALTH_EVERY_MS);
  // The shared poller's read failing (the coordinator gone) hides the badge at once: it said "healthy" for up to 15 s
  // beside the header's "Cannot reach the coordinator". Its next read that works reads the health again, at once.
  let lapsed = false;
  const unsubscribe = live.subscribe(() => {
    if (live.error) {
      lapsed = true;
      el.hidden = true;
    } else if (lapsed) {
      lapsed = false;
      void show();
    }
  });
  return () => {
    alive = false;
    clearInterval(timer);
    unsubscribe();
    el.hidden = true;
  };
}
