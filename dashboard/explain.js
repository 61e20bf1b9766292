// explain.js — the explain panel: why the router would (or did) send this job where it
// did. Ranked factories with every term as raw × weight = contribution, the
// factories it filtered out with their reasons in words (filter-words.js), and the factories that lost this
// job's lease and are kept from it for a backoff (GET …/jobs/<id>/explain).

import { EXPLAIN } from "./answers.js";
import { api, describeError, jobPath, transient } from "./api.js";
import { setBusy } from "./busy.js";
import { focusReturn, h, num, replace, showLoadError, statusLine, when } from "./dom.js";
import { candidateCard, candidateName } from "./explain-candidate.js";
import { reasonChip } from "./filter-words.js";
import { newestRead } from "./newest-read.js";

/**
 * What each kind of lost lease means, for the exclusions list. An expiry is said as what happened, not as the host's
 * doing ("let its lease expire"): a crashed or cut-off host did nothing, its lease ran out (core/waiting-excluded says
 * "its lease there expired").
 */
const LOSS_HELP = {
  expired: "its lease expired",
  released: "handed the job back",
  rejected: "refused the job",
};

/**
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 * @param {(id: string | undefined) => string} factoryName
 */
export function explainPanel(session, jobId, factoryName) {
  const body = h("div", { class: "explain-body" });
  const status = statusLine();
  const refresh = h("button", { type: "button", class: "secondary small", onclick: () => void load() }, "Refresh");
  const panel = h(
    "section",
    { class: "panel", "aria-labelledby": "explain-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "explain-title" }, "Explain"), refresh),
    status,
    body,
  );

  /** The last read failed in a way that may pass: the job page's next poller tick reads again (`failed`). */
  let retry = false;
  const reads = newestRead();
  const load = async () => {
    const mine = reads.begin();
    const giveBack = focusReturn(refresh);
    setBusy(refresh, true); // greyed out while the read is out, keeping keyboard focus (busy.js)
    try {
      const x = await api(session, `${jobPath(jobId)}/explain`, { answer: EXPLAIN });
      if (!reads.newest(mine)) return; // overtaken: the newer read draws (job-reads.js)
      retry = false;
      showLoadError(status);
      render(x);
    } catch (err) {
      if (!reads.newest(mine)) return;
      retry = transient(err);
      showLoadError(status, describeError(err));
    } finally {
      if (reads.last(mine)) setBusy(refresh, false); // the last read out arms Refresh, not an older one answering first
      giveBack();
    }
  };

  /** @param {any} x */
  const render = (x) => {
    const holder = x.holderFactoryId ? `held by ${factoryName(x.holderFactoryId)}` : "not held";
    replace(
      body,
      h(
        "p",
        { class: "muted" },
        `As of ${when(x.at)} · ${x.priority} priority · urgency ${num(x.urgency)} · ${holder}`,
      ),
      x.routingPolicy
        ? h(
            "p",
            { id: "explain-routing-policy", dataset: { testid: "routing-policy" } },
            `Routed by experiment ${x.routingPolicy.experimentId}, arm ${x.routingPolicy.arm}${x.routingPolicy.as === "winner" ? " (the winner, for the whole class)" : ""}.`,
          )
        : null,
      x.ranked.length
        ? h(
            "ol",
            { class: "ranked" },
            ...x.ranked.map((/** @type {any} */ c, /** @type {number} */ i) => candidateCard(c, i + 1, factoryName)),
          )
        : h("p", { class: "empty" }, "No factory passes the filter for this job right now."),
      x.rejected.length
        ? h(
            "div",
            { class: "rejected" },
            h("h3", null, "Filtered out"),
            h(
              "ul",
              null,
              ...x.rejected.map((/** @type {any} */ c) =>
                h(
                  "li",
                  { dataset: { factory: c.factoryName } },
                  h("strong", null, candidateName(c, factoryName)), // two hosts of one name told apart
                  h("ul", { class: "chips reasons" }, ...c.reasons.map((/** @type {string} */ r) => reasonChip(c, r))),
                ),
              ),
            ),
          )
        : null,
      exclusions(x),
    );
  };

  /** Factories that lost this job's lease: kept from it until their backoff ends. @param {any} x */
  const exclusions = (x) => {
    /** @type {any[]} */
    const list = x.exclusions ?? [];
    if (list.length === 0) return null;
    return h(
      "div",
      { class: "exclusions" },
      h("h3", null, "Lost leases"),
      h(
        "ul",
        null,
        ...list.map((/** @type {any} */ e) =>
          h(
            "li",
            { dataset: { factory: factoryName(e.factoryId) } },
            h("strong", null, factoryName(e.factoryId)),
            ` ${LOSS_HELP[/** @type {keyof LOSS_HELP} */ (e.kind)] ?? e.kind} · strike ${e.strikes} · `,
            e.until > x.at ? `kept from this job until ${when(e.until)}` : "backoff over",
          ),
        ),
      ),
    );
  };

  void load();
  return { panel, load, failed: () => retry };
}
