/**
 * @module dashboard/explain-candidate
 * A ranked factory's card in the explain panel: its score terms as raw × weight = contribution, its half-open trial
 * note, and what the router learned and operators said about it (explain.js draws the panel around them).
 */

import { h, num } from "./dom.js";
import { TRACK_RATES_HELP, trackEvidence } from "./learned.js";
import { TERM_HELP } from "./router-terms.js";
import { scrollBox } from "./scroll-box.js";

/**
 * A candidate's name as the page shows factories: `name (id)` when two listed factories share it (live.factoryName),
 * else the name the answer gave — also when the page's list does not hold it yet (the label is then the bare id).
 * @param {{ factoryId: string, factoryName: string }} c @param {(id: string | undefined) => string} label
 */
export const candidateName = (c, label) => {
  const shown = label(c.factoryId);
  return shown && shown !== c.factoryId ? shown : c.factoryName;
};

/** What a trial candidate's card says: core/half-open-trial TRIAL_ONLY_WORDS, kept equal by a unit test. */
export const TRIAL_WORDS = "half-open: trial only when no closed host can take it";

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
 * A ranked factory's card: its rank, name (told apart from another of the same name: `label`), score, the half-open
 * trial note when its run would be its breaker's one trial, each term as raw × weight = contribution, and what routing
 * learned about it. `data-factory` stays its plain name (what tests and links find it by).
 * @param {any} c a router Candidate (GET …/explain `ranked[]`) @param {number} rank 1-based
 * @param {(id: string | undefined) => string} label the factory's name as the page shows it (live.factoryName)
 * @returns {HTMLElement}
 */
export const candidateCard = (c, rank, label) =>
  h(
    "li",
    { class: "candidate", dataset: { factory: c.factoryName } },
    h(
      "div",
      { class: "candidate-head" },
      h("strong", null, `#${rank} ${candidateName(c, label)}`),
      h("span", { class: "score" }, `score ${num(c.score)}`),
    ),
    // Why a higher score may rank below a closed host (core/half-open-trial): the CLI prints the same words.
    c.trial ? h("p", { class: "muted trial", dataset: { testid: "trial" } }, TRIAL_WORDS) : null,
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
