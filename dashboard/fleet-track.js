// fleet-track.js — a factory's track record on its fleet card (issue 11 part 5): what the coordinator has learned of
// its outcomes per (engine, job class) — decayed success rate, sample size, mean cost — from GET
// …/routing/track-records?perFactory=TRACK_LINES (each factory's few records with the most runs: the lines a card
// shows, not every record of the product), read once when the fleet page opens and again every TRACK_POLL_MS. Stable
// ids for the browser test: `track-<factoryId>`, each line `data-testid="track-line"` with `data-key="<engine>|<class>"`.

import { TRACK_RECORDS } from "./answers.js";
import { api } from "./api.js";
import { h } from "./dom.js";
import { TRACK_RATES_HELP, trackLines } from "./learned.js";
import { newestRead } from "./newest-read.js";

/** 30 s: records change with run ends, minutes apart on a busy fleet; the card need not be fresher than that. */
export const TRACK_POLL_MS = 30_000;

/** Lines per card, and so records per factory asked for: the whole list was up to 5,000 records (~1 MB) a poll. */
export const TRACK_LINES = 4;

/** What the page asks for: each factory's TRACK_LINES records with the most runs, the ones its card shows. */
export const TRACK_RECORDS_PATH = `/routing/track-records?perFactory=${TRACK_LINES}`;

/**
 * Keeps the product's track records fresh while the fleet page is open; `onChange` re-renders the cards.
 * @param {import("./api.js").Session} session
 * @param {() => void} onChange
 * @returns {{ records: () => any[], stop: () => void }}
 */
export function trackRecordsFeed(session, onChange) {
  /** @type {any[]} */
  let records = [];
  let alive = true;
  // A read slower than TRACK_POLL_MS is still out when the next is sent: answering after it, it drew older records.
  const reads = newestRead();
  const load = () => {
    const mine = reads.begin();
    return api(session, TRACK_RECORDS_PATH, { answer: TRACK_RECORDS }).then(
      (/** @type {any} */ doc) => {
        if (!alive || !reads.newest(mine)) return;
        records = Array.isArray(doc?.records) ? doc.records : [];
        onChange();
      },
      () => {}, // a viewer without routing or an older coordinator: the cards simply show no record
    );
  };
  void load();
  const timer = setInterval(load, TRACK_POLL_MS);
  return {
    records: () => records,
    stop: () => {
      alive = false;
      clearInterval(timer);
    },
  };
}

/**
 * The track-record block of one factory card, or a muted "no history yet" line.
 * @param {any} f a factory
 * @param {any[]} records the records read (TRACK_RECORDS_PATH): this factory's and others'
 * @param {number} [now] ms epoch: the router's estimate is of the record decayed to then, as explain's is
 */
export function trackBlock(f, records, now = Date.now()) {
  const lines = trackLines(records, f.id, TRACK_LINES, now);
  if (lines.length === 0) return h("p", { class: "muted track", id: `track-${f.id}` }, "track record: no history yet");
  return h(
    "div",
    { class: "track", id: `track-${f.id}`, dataset: { testid: "track" } },
    h("h3", { class: "small" }, "Track record"),
    h(
      "ul",
      { class: "track-lines", title: TRACK_RATES_HELP },
      ...lines.map((l) =>
        h("li", { dataset: { testid: "track-line", key: l.key }, class: l.rate < 0.7 ? "warn" : "" }, l.text),
      ),
    ),
  );
}
