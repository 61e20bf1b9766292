/**
 * @module dashboard/job-row
 * A job's row on the board (jobs.js): its title linking to its page, the "frozen" badge a freeze holding it back puts
 * on it, its stage with why it waits, priority, attempts, the factory holding it (with "disconnected" when its link is
 * lost) and when it last moved.
 */
import { jobPath } from "./api.js";
import { ago, h, preemptedBadge, stageBadge, titleText, when } from "./dom.js";
import { linkBadge } from "./fleet-link.js";
import { frozenBadge } from "./serial-cells.js";
import { waitingNote } from "./waiting.js";

/**
 * The fleet card's "disconnected 20 s ago" badge (fleet-link.js) for the factory `id` holding a job, null while it is
 * linked or unknown: after a kill -9 of its agent, a held job read `building` beside its holder's name as if all was
 * well until the lease ran out — only the Fleet page said the link was lost.
 * @param {import("./live.js").Live} live @param {string | undefined} id
 */
export function holderLink(live, id) {
  const f = id ? live.factories.find((x) => x.id === id) : undefined;
  return f ? linkBadge(f) : null;
}

/** `[" ", node]` to follow a name, or none. @param {Node | null} node */
const spaced = (node) => (node ? [" ", node] : []);

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
    h("td", null, live.factoryName(j.holderFactoryId) || "—", ...spaced(holderLink(live, j.holderFactoryId))),
    h("td", { title: when(j.updatedAt), "data-at": j.updatedAt }, ago(j.updatedAt)),
  );
}
