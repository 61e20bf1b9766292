/**
 * @module dashboard/header-summary
 * The header's summary line (app.js draws it on each poller tick): the product's jobs by stage and its factories as
 * words, the queue version, and why the last read failed.
 */
import { h, replace } from "./dom.js";
import { summaryParts } from "./live-counts.js";

/**
 * Draws the header's line into `summary`: the counts as words, the queue version, and the poller's last failure.
 * @param {HTMLElement} summary @param {import("./live.js").Live} l
 */
export function renderSummary(summary, l) {
  const parts = l.counts.size ? summaryParts(l.counts, l.factories.length) : ["loading…"];
  // One .count each (nowrap, style.css): a narrow header breaks the line between two counts, not inside one.
  const counts = parts.flatMap((p, i) => [i ? " · " : null, h("span", { class: "count" }, p)]);
  replace(
    summary,
    h("span", { class: "counts" }, ...counts),
    h(
      "span",
      { class: "version", title: "Queue version: bumped on every job creation and stage change" },
      l.version === undefined ? "" : `queue v${l.version}`,
    ),
    l.error ? h("span", { class: "error" }, l.error) : null,
  );
}
