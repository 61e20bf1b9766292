/**
 * @module dashboard/job-chips
 * The jobs board's stage filter chips (jobs.js): "all" and one per stage, each a link to the board filtered to it with
 * the count of jobs in it (the shared poller's, live.js `counts`), the one shown marked `aria-current`.
 */

import { h, STAGES, stageLabel } from "./dom.js";
import { countText } from "./live-counts.js";

/**
 * The chips, built once: `render(live)` only changes their counts, so keyboard focus on a chip stays put.
 * @param {string | null} stage the stage the board is filtered to, null for all
 * @returns {{ nav: HTMLElement, render: (live: import("./live.js").Live) => void }}
 */
export function stageChips(stage) {
  const nav = h("nav", { class: "filters", "aria-label": "Filter by stage" });
  /** @type {Map<string, HTMLElement>} */
  const countEls = new Map();
  for (const s of [null, ...STAGES]) {
    const count = h("span", { class: "count" }, "…");
    countEls.set(s ?? "all", count);
    nav.append(
      h(
        "a",
        {
          href: s ? `#/jobs?stage=${s}` : "#/jobs",
          class: `chip-filter${s ? ` stage-${s}` : ""}`,
          "aria-current": s === stage ? "page" : null,
          dataset: { stage: s ?? "all" },
        },
        h("span", null, s ? stageLabel(s) : "all"),
        count,
      ),
    );
  }
  /** @param {import("./live.js").Live} live */
  const render = (live) => {
    if (!live.counts.size) return;
    countEls.get("all")?.replaceChildren(countText(live.total()));
    for (const s of STAGES) countEls.get(s)?.replaceChildren(countText(live.counts.get(s)));
  };
  return { nav, render };
}
