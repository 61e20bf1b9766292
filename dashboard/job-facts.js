// job-facts.js — the facts of one job's page as label/value rows: the header's
// (priority, attempt, lease, holder, checkpoint, progress, review quorum, last
// result, feedback, preemption, times) and the manifest's (requires, prefers,
// engine, repo, budget, deps, serial key, parent, kind). Each row carries a
// data-fact key for tests and styling.

import { jobPath } from "./api.js";
import { ago, clock, h, preemptedBadge, when, wholePercent } from "./dom.js";
import { counted } from "./format.js";
import { usdTexts } from "./usd.js";

/**
 * @param {string} label
 * @param {Node | string | null | undefined} value
 * @param {string} [key] data-fact, for tests and styling
 */
function fact(label, value, key) {
  return h("div", { dataset: { fact: key ?? label.toLowerCase() } }, h("dt", null, label), h("dd", null, value ?? "—"));
}

/**
 * @param {any} job @param {(id: string | undefined) => string} name
 * @param {(id: string | undefined) => Node | null} [link] the holder's "disconnected" badge (job-row.js holderLink)
 */
export function headerFacts(job, name, link = () => null) {
  const cp = job.checkpoint;
  // As core/review counts: distinct authenticated reviewers (they carry a reviewerName) in this round.
  const approvals = new Set(
    (job.reviews ?? [])
      .filter((/** @type {any} */ r) => r.verdict === "approve" && r.reviewerName && r.at >= job.queuedAt)
      .map((/** @type {any} */ r) => r.reviewer),
  ).size;
  return [
    fact("Priority", h("span", { class: `prio prio-${job.priority}` }, job.priority)),
    fact("Attempt", `${job.attempt} / ${job.maxAttempts}`),
    fact("Lease epoch", String(job.leaseEpoch), "epoch"),
    fact(
      "Holder",
      job.holderFactoryId
        ? h(
            "span",
            null,
            `${name(job.holderFactoryId)}${job.leaseExpiresAt ? ` · lease until ${clock(job.leaseExpiresAt)}` : ""}`,
            link(job.holderFactoryId) ? " " : null,
            link(job.holderFactoryId),
          )
        : "none",
    ),
    fact(
      "Checkpoint",
      cp ? [cp.branch, cp.sha?.slice(0, 12), cp.note].filter(Boolean).join(" · ") || when(cp.at) : "none",
    ),
    job.progress
      ? fact(
          "Progress",
          [job.progress.pct !== undefined ? `${wholePercent(job.progress.pct / 100)} %` : "", job.progress.note ?? ""]
            .filter(Boolean)
            .join(" · "),
        )
      : null,
    job.manifest?.reviewers ? fact("Review", `${approvals} of ${counted(job.manifest.reviewers, "approval")}`) : null,
    job.lastResult
      ? fact(
          "Last result",
          `${job.lastResult.outcome}${job.lastResult.message ? `: ${job.lastResult.message}` : ""}`,
          "result",
        )
      : null,
    job.feedback ? fact("Feedback", job.feedback) : null,
    job.preemptedBy
      ? fact(
          "Preempted",
          h("span", null, preemptedBadge(job), ` by ${job.preemptedBy} at ${when(job.preemptedAt)}`),
          "preempted",
        )
      : null,
    fact("Updated", h("span", { title: when(job.updatedAt) }, ago(job.updatedAt))),
    fact("Created", when(job.createdAt)),
    fact("Id", h("span", { class: "mono" }, job.id)),
  ].filter((x) => x !== null);
}

/**
 * A job's own budget as the facts show it: "$0.10", "600 s wall", "5000 tokens", each set limit in that order.
 * @param {{ usd?: number, wallSeconds?: number, tokens?: number } | undefined} b
 * @returns {string[]}
 */
export function budgetParts(b = {}) {
  return [
    // As every other amount reads ($0.10, a $0.035 budget with its digits): `$${usd}` printed "$0.1".
    b.usd !== undefined ? (usdTexts([b.usd])[0] ?? "") : "",
    b.wallSeconds !== undefined ? `${b.wallSeconds} s wall` : "",
    b.tokens !== undefined ? counted(b.tokens, "token") : "",
  ].filter(Boolean);
}

/** The parsed frontmatter worth seeing next to the body. @param {any} job */
export function manifestFields(job) {
  /** @param {string[] | undefined} list */
  const chips = (list) => (list?.length ? h("ul", { class: "chips" }, ...list.map((c) => h("li", null, c))) : "none");
  const budget = budgetParts(job.budget);
  return [
    fact("Requires", chips(job.requires)),
    fact("Prefers", chips(job.prefers)),
    job.engine ? fact("Engine", job.engine) : null,
    job.repo ? fact("Repo", h("span", { class: "mono" }, job.repo)) : null,
    budget.length ? fact("Budget", budget.join(" · ")) : null,
    job.deps?.length ? fact("Deps", `${job.depsMode}: ${job.deps.join(", ")}`) : null,
    job.serialKey ? fact("Serial key", job.serialKey, "serial") : null,
    job.parentId
      ? fact("Parent", h("a", { href: `#${jobPath(job.parentId)}`, "data-focus-key": "job-parent" }, job.parentId))
      : null,
    job.kind === "composite" ? fact("Kind", "composite") : null,
  ].filter((x) => x !== null);
}
