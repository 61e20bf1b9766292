// waiting.js — why a job waits (the API's `waitingReason`, computed by src/core/waiting.ts) in plain words: a
// one-line note under the stage on the board, and on the job page a panel with the detail — which capabilities
// are missing, which deps in which stage, which job holds the serial key, until when, who approved.
// Text only through h()/textContent (CSP: no inline scripts or styles).

import { commandParts } from "./command-words.js";
import { ago, h, when } from "./dom.js";
import { localInstants } from "./waiting-budget.js";
import { detailRows } from "./waiting-details.js";
import { reasonHeading } from "./waiting-headings.js";

// What the panel's parts say, for the pages and tests that read them from here.
export { detailLabel, detailRows, detailText, keyLabel, keyWords, valueText } from "./waiting-details.js";
export { reasonHeading, waitingHeading } from "./waiting-headings.js";

/**
 * The board's note under a waiting job's stage; null for a running or finished job. A command in it the dashboard
 * has a control for links there (command-words.js: "requeue on its page").
 * @param {any} reason @param {string} [jobId] the job it is about
 */
export function waitingNote(reason, jobId) {
  if (!reason) return null;
  return h(
    "span",
    { class: `waiting waiting-${reason.code}`, title: `${reasonHeading(reason)} since ${when(reason.since)}` },
    ...commandParts(localInstants(String(reason.message ?? "")), { jobId }),
  );
}

/**
 * The job page's "Why is it waiting?" block: heading, the message, since when, its fix, and every detail. `stale`: the reason
 * was read before the job's last move (waiting-shown.js), so it is drawn dimmed and marked busy until a read replaces
 * it. A command in the message that the action bar below or another page does is said as that (command-words.js).
 * @param {any} reason @param {boolean} [stale] @param {string} [jobId] the page's job
 * @param {(id: string) => string} [name] a factory by id as the page names it (live.js factoryName)
 */
export function waitingDetail(reason, stale = false, jobId = undefined, name = undefined) {
  if (!reason) return null;
  const rows = detailRows(reason, name).map(([k, label, text]) =>
    h("div", { dataset: { waitingDetail: k } }, h("dt", null, label), h("dd", null, text)),
  );
  return h(
    "section",
    {
      class: `waiting-panel waiting-${reason.code}${stale ? " waiting-stale" : ""}`,
      "aria-label": "Why is it waiting?",
      dataset: { code: reason.code },
      ...(stale ? { "aria-busy": "true", title: "Read before the job's last move: reading it again" } : {}),
    },
    h(
      "p",
      { class: "waiting-head" },
      h("strong", null, reasonHeading(reason)),
      ` · since ${when(reason.since)} (`,
      h("span", { "data-at": reason.since }, ago(reason.since)), // moved with the clock by the job page (renderAges)
      ")",
    ),
    h(
      "p",
      { class: "waiting-message" },
      ...commandParts(localInstants(String(reason.message ?? "")), { jobId, onJobPage: true }),
    ),
    // The command that ends the wait where the message names none: the answer's own (src/core/waiting-fix.ts), the
    // words `gigafactory job ID` prints — the page said what was missing and not how to add it.
    typeof reason.fix === "string" && reason.fix
      ? h(
          "p",
          { class: "waiting-fix", dataset: { testid: "waiting-fix" } },
          h("strong", null, "Fix: "),
          ...commandParts(reason.fix, { jobId, onJobPage: true }),
        )
      : null,
    rows.length ? h("dl", { class: "facts compact" }, ...rows) : null,
  );
}
