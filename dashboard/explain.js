// explain.js — the explain panel: why the router would (or did) send this job where it
// did. Ranked factories with every term as raw × weight = contribution, the
// factories it filtered out with their reasons in words (filter-words.js), and the factories that lost this
// job's lease and are kept from it for a backoff (GET …/jobs/<id>/explain).

import { EXPLAIN } from "./answers.js";
import { api, describeError, jobPath, transient } from "./api.js";
import { setBusy } from "./busy.js";
import { focusReturn, h, num, replace, showLoadError, statusLine, when } from "./dom.js";
import { reasonChip } from "./filter-words.js";
import { TRACK_RATES_HELP, trackEvidence } from "./learned.js";
import { newestRead } from "./newest-read.js";
import { TERM_HELP } from "./router-terms.js";
import { scrollBox } from "./scroll-box.js";

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
 * A term's Raw cell, so that the row reads as the header does (raw × weight = contribution): the starvation penalty
 * is subtracted, so its raw reads "− 0.990"; the track term is centred on 0.5, so it reads "(0.300 − 0.500)". Read off
 * the numbers (as the CLI's explain does), not a list of term names.
 * @param {{raw: number, weight: number, contribution: number}} t
 */
export function rawText(t) {
  const close = (/** @type {number} */ a, /** @type {number} */ b) =>
    Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  const product = t.raw * t.weight;
  if (close(t.contribution, product) || t.weight === 0) return num(t.raw);
  if (close(t.contribution, -product)) return `− ${num(t.raw)}`;
  const offset = t.raw - t.contribution / t.weight;
  return `(${num(t.raw)} ${offset < 0 ? "+" : "−"} ${num(Math.abs(offset))})`;
}

/**
 * What the router learned and what operators (or an experiment's arm) said about a candidate: the track term's
 * evidence and the routing rules in force with their adjustment. Ids `learned-<factoryId>`, `rules-<factoryId>`.
 * @param {any} c a router Candidate
 */
function learned(c) {
  return h(
    "div",
    { class: "learned" },
    c.track
      ? h(
          "p",
          {
            class: "muted",
            id: `learned-${c.factoryId}`,
            title: TRACK_RATES_HELP,
            dataset: { testid: "track-evidence" },
          },
          trackEvidence(c.track),
        )
      : null,
    c.rules
      ? h(
          "p",
          { id: `rules-${c.factoryId}`, dataset: { testid: "rule-evidence" } },
          `rules ${c.rules.adjustment < 0 ? "−" : "+"}${num(Math.abs(c.rules.adjustment))}: `,
          // Each reason in its own <bdi>: a right-to-left override in one must not mirror the rules after it.
          ...c.rules.rules.flatMap((/** @type {any} */ r, /** @type {number} */ i) => [
            `${i ? "; " : ""}${r.effect} (`,
            h("bdi", null, r.reason),
            ")",
          ]),
        )
      : null,
  );
}

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
            ...x.ranked.map((/** @type {any} */ c, /** @type {number} */ i) => candidate(c, i + 1)),
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
                  h("strong", null, c.factoryName),
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

  /** @param {any} c a router Candidate @param {number} rank */
  const candidate = (c, rank) =>
    h(
      "li",
      { class: "candidate", dataset: { factory: c.factoryName } },
      h(
        "div",
        { class: "candidate-head" },
        h("strong", null, `#${rank} ${c.factoryName}`),
        h("span", { class: "score" }, `score ${num(c.score)}`),
      ),
      scrollBox(
        "table-wrap",
        `Score terms for ${c.factoryName}`,
        null,
        h(
          "table",
          { class: "terms" },
          h("caption", { class: "sr-only" }, `Score terms for ${c.factoryName}`),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "col" }, "Term"),
              h("th", { scope: "col", class: "num" }, "Raw"),
              h("th", { scope: "col", class: "num" }, "× Weight"),
              h("th", { scope: "col", class: "num" }, "= Contribution"),
            ),
          ),
          h(
            "tbody",
            null,
            ...Object.entries(c.terms).map(([term, t]) =>
              h(
                "tr",
                { class: "term", dataset: { term } },
                h("th", { scope: "row", title: TERM_HELP[term] ?? "" }, term),
                h("td", { class: "num" }, rawText(t)),
                h("td", { class: "num" }, `× ${num(t.weight)}`),
                h(
                  "td",
                  { class: `num ${t.contribution < 0 ? "neg" : ""}` },
                  `${t.contribution < 0 ? "−" : "+"}${num(Math.abs(t.contribution))}`,
                ),
              ),
            ),
          ),
        ),
      ),
      learned(c),
    );

  void load();
  return { panel, load, failed: () => retry };
}
