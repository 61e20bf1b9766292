/**
 * @module dashboard/review
 * The review card of a job (GET …/jobs/<id>/reviews): k of N approvals and who gave them, every review with
 * its comment, and approve / reject buttons with a comment box (POST …/reviews, as the signed-in token: each
 * token counts once; not drawn for a viewer, role.js — whose attempt the server refuses, shown as is).
 */

import { REVIEWED, REVIEWS } from "./answers.js";
import { api, describeError, jobPath, transient, writeFailure } from "./api.js";
import { armGroup } from "./busy.js";
import { BYTE_LIMITS, byteLimited } from "./byte-limit.js";
import { h, heldOutcome, replace, showError, showLoadError, stageLabel, statusLine, when } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";
import { counted } from "./format.js";
import { newestRead } from "./newest-read.js";
import { scrollBox } from "./scroll-box.js";

/**
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 * @param {(job: any) => void} onDone called with the job after a review
 */
export function reviewPanel(session, jobId, onDone) {
  const summary = h("p", { class: "review-summary" });
  const list = scrollBox("table-wrap", "Reviews table", null);
  const status = statusLine("review-status");
  status.tabIndex = -1; // focus lands on the outcome when the clicked verdict is no longer offered
  // "approved: job is now review" holds while the job is there: a read finding it moved on (testing, merged, requeued)
  // takes it away — it stood until the next verdict (status-text heldOutcome).
  const outcome = heldOutcome(status);
  /** The answered job's `rev`: a read older than it (sent before the verdict landed) contradicts nothing. */
  let answeredRev = -1;
  const comment = h("input", { id: "review-comment", type: "text", placeholder: "optional" });
  // The server's limit is UTF-8 bytes, and so is this box's (a maxlength counted characters).
  const commentLimit = byteLimited(comment, BYTE_LIMITS.reviewComment);
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {
    approve: h(
      "button",
      {
        type: "button",
        class: "primary",
        dataset: { review: "approve" },
        disabled: true,
        onclick: () => void run("approve"),
      },
      "Approve",
    ),
    reject: h(
      "button",
      {
        type: "button",
        class: "danger",
        dataset: { review: "reject" },
        disabled: true,
        onclick: () => void run("reject"),
      },
      "Reject",
    ),
  };
  const panel = h(
    "section",
    { class: "panel review", "aria-labelledby": "review-title", hidden: true },
    h("div", { class: "panel-head" }, h("h2", { id: "review-title" }, "Review")),
    summary,
    list,
    h(
      "div",
      { class: "actions", "data-needs": "operator" }, // a verdict and its comment: not drawn for a viewer (role.js)
      h("div", { class: "buttons" }, buttons.approve, buttons.reject),
      h("div", { class: "note" }, h("label", { for: "review-comment" }, "Comment"), comment, commentLimit.counter),
    ),
    status,
  );
  let stage = "";
  /** The review round shown (GET …/reviews `round`): sent with a verdict, so it applies to this build only. */
  /** @type {number | undefined} */
  let round;
  /** A verdict's request is out: the page's re-renders (`update`) must not re-arm the buttons meanwhile. */
  let busy = false;

  /** @param {"approve" | "reject"} verdict */
  const run = async (verdict) => {
    const over = commentLimit.problem();
    if (over) return fieldError(comment, status, `${verdict} not sent: the comment is ${over}`);
    if (verdict === "reject" && !confirm("Reject this job?")) return;
    const text = comment.value.trim();
    busy = true;
    enable();
    showError(status, "");
    status.textContent = `${verdict}…`;
    try {
      const out = await api(session, `${jobPath(jobId)}/reviews`, {
        method: "POST",
        body: { verdict, ...(text ? { comment: text } : {}), ...(round !== undefined ? { round } : {}) },
        answer: REVIEWED,
      });
      // The answer holds the reviews as they now are (drawn below): a failed read said beside a refusal is over.
      answeredRev = typeof out.job.rev === "number" ? out.job.rev : -1;
      outcome.say(`${verdict}d: job is now ${stageLabel(out.job.stage)}`, out.job.stage);
      comment.value = "";
      commentLimit.problem(); // the counter follows the emptied box
      reads.overtake(); // a reviews read sent before the verdict, drawn after, put the round back (newest-read.js)
      render(out);
      onDone(out.job);
    } catch (err) {
      refusalError(err, status, writeFailure(err, `${verdict} refused`), { comment }); // marked when refused
    } finally {
      busy = false;
      enable();
      // Busy in flight, the clicked button kept keyboard focus (busy.js); the job's new stage may no longer offer that
      // verdict (disabled now, focus fell to the page's top): the outcome takes it then.
      const clicked = buttons[verdict];
      if (document.activeElement === document.body || document.activeElement === clicked)
        (clicked.disabled ? status : clicked).focus();
    }
  };

  const enable = () => {
    // Not before the reviews are read: a verdict without the round it was read in would count for any rebuild.
    const unread = round === undefined;
    // A review read that greys out the focused verdict (the job moved on elsewhere): focus kept on the panel.
    armGroup(
      [buttons.approve, buttons.reject].map((b, i) => [
        b,
        { busy, off: unread || verdictDisabled(i === 0 ? "approve" : "reject", stage, false) },
      ]),
      [status],
    );
  };

  /** @param {any} view a ReviewsView (src/core/review.ts) */
  const render = (view) => {
    round = view.round;
    enable();
    const by = view.reviews.filter((/** @type {any} */ r) => r.counted).map((/** @type {any} */ r) => r.reviewerName);
    summary.textContent = `${view.approvals} of ${counted(view.required, "approval")}${by.length ? ` · approved by ${by.join(", ")}` : ""}`;
    replace(
      list,
      view.reviews.length === 0
        ? h("p", { class: "empty" }, "No reviews yet.")
        : h(
            "table",
            { class: "reviews" },
            h("caption", { class: "sr-only" }, "Reviews of this job"),
            h(
              "thead",
              null,
              h("tr", null, ...["When", "Reviewer", "Verdict", "Comment"].map((t) => h("th", { scope: "col" }, t))),
            ),
            h(
              "tbody",
              null,
              ...view.reviews.map((/** @type {any} */ r) =>
                h(
                  "tr",
                  { dataset: { reviewer: r.reviewer } },
                  h("td", null, when(r.at)),
                  h("td", { title: r.reviewer }, r.reviewerName),
                  h(
                    "td",
                    null,
                    r.verdict,
                    r.verdict === "approve" && !r.counted ? h("span", { class: "muted" }, " (earlier round)") : null,
                  ),
                  h("td", null, r.comment ?? "—"),
                ),
              ),
            ),
          ),
    );
  };

  /**
   * The last read failed in a way that may pass: the job page's next poller tick reads again (`failed`) — it waited
   * for the next review or stage event, which a job waiting in review may not have for hours.
   */
  let retry = false;
  const reads = newestRead();
  const load = async () => {
    if (panel.hidden) return;
    const mine = reads.begin();
    try {
      const answer = await api(session, `${jobPath(jobId)}/reviews`, { answer: REVIEWS });
      if (!reads.newest(mine)) return; // overtaken: the newer read draws (job-reads.js)
      render(answer);
      retry = false;
      showLoadError(status);
    } catch (err) {
      if (!reads.newest(mine)) return;
      retry = transient(err);
      showLoadError(status, describeError(err));
    }
  };

  /** Shown for jobs with a review gate or reviews. @param {any} job */
  const update = (job) => {
    const wasHidden = panel.hidden;
    stage = job.stage;
    if (!(job.rev < answeredRev)) outcome.read(stage);
    panel.hidden = !(job.manifest?.reviewers > 0 || job.reviews?.length);
    enable();
    if (wasHidden && !panel.hidden) void load();
  };

  return { panel, load, update, failed: () => retry && !panel.hidden };
}

/**
 * Whether a verdict's button is greyed out: while a verdict is in flight (`busy`), or when the job's stage cannot take
 * it (approve in review only; reject on work built or being built, src/core/review.ts REJECTABLE).
 * @param {"approve" | "reject"} verdict @param {string} stage @param {boolean} busy
 */
export const verdictDisabled = (verdict, stage, busy) =>
  busy || !(verdict === "approve" ? ["review"] : ["review", "assigned", "building", "testing"]).includes(stage);
