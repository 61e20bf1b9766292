/**
 * @module dashboard/job-row
 * A job's row on the board (jobs.js): its title linking to its page, the "frozen" badge a freeze holding it back puts
 * on it, its stage with why it waits, priority, attempts, the factory holding it and when it last moved.
 */
import { jobPath } from "./api.js";
import { ago, h, preemptedBadge, stageBadge, titleText, when } from "./dom.js";
import { frozenBadge } from "./serial-cells.js";
import { waitingNote } from "./waiting.js";

/** @param {any} j a Job @param {import("./live.js").Live} live */
export function jobRow(j, live) {
  return h(
    "tr",
    { dataset: { job: j.id, stage: j.stage } },
    h(
      "td",
      { class: "title" },
      h("a", { href: `#${jobPath(j.id)}` }, titleText(j.title)),
      frozenBadge(j),
      h("span", { class: "id muted" }, j.id),
    ),
    h("td", { class: "stage" }, stageBadge(j.stage), preemptedBadge(j), waitingNote(j.waitingReason, j.id)),
    h("td", null, h("span", { class: `prio prio-${j.priority}` }, j.priority)),
    h("td", { class: "num" }, `${j.attempt} / ${j.maxAttempts}`),
    h("td", null, live.factoryName(j.holderFactoryId) || "—"),
    h("td", { title: when(j.updatedAt), "data-at": j.updatedAt }, ago(j.updatedAt)),
  );
}
