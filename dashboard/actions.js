// actions.js — the operator action bar of a job: requeue / cancel / approve / reject /
// ship (POST …/jobs/<id>/actions/<action>), with an optional note, showing the stage the
// job moved to or the problem's detail. A requeue may raise the job's own budget (USD, its
// whole spend): a job that spent its budget is refused `budget_exceeded` without, and the
// refusal's detail says how much it spent.

import { ApiError, api, describeError, jobPath } from "./api.js";
import { BYTE_LIMITS, byteLimited } from "./byte-limit.js";
import { h, showError, stageLabel, statusLine } from "./dom.js";

/**
 * The stages each action can start from — a mirror of src/core/stages.ts, used only to
 * grey out buttons; the server stays the judge and its refusal is shown as is.
 * @type {Record<string, string[]>}
 */
const FROM = {
  // dead_letter → queued is the one way out of a terminal stage (an operator's requeue, stages.ts).
  requeue: ["blocked", "assigned", "building", "review", "failed", "dead_letter"],
  cancel: ["queued", "blocked", "assigned", "building", "review", "testing", "failed"],
  approve: ["review"],
  // A verdict on work built or being built (src/core/review.ts REJECTABLE), as the review panel offers it.
  reject: ["assigned", "building", "review", "testing"],
  ship: ["testing"],
};

/**
 * A queued job held back — waiting out a retry delay (`notBefore`), or kept from factories that lost its lease — can be
 * requeued: the server then offers it at once (coordinator/jobs/actions). Any other queued job is refused as queued.
 * @param {{ stage: string, notBefore?: number | null, waitingReason?: { code: string } | null }} job
 */
const heldBack = (job) =>
  job.stage === "queued" &&
  ((job.notBefore !== undefined && job.notBefore !== null) || job.waitingReason?.code === "excluded");

const HELP = {
  requeue: "Put the job back in the queue (takes the lease from its holder)",
  cancel: "Stop the job for good; its factory is told to stop",
  approve: "Approve the job's review",
  reject: "Reject the job's review (the note is sent as feedback)",
  ship: "Mark the tested job shipped",
};

/**
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 * @param {(job: any) => void} onDone called with the job the server returned
 */
export function actionBar(session, jobId, onDone) {
  const note = h("input", { id: "action-note", type: "text", placeholder: "optional" });
  // The server's limit is UTF-8 bytes, and so is this box's (a maxlength of 4000 characters matched neither).
  const noteLimit = byteLimited(note, BYTE_LIMITS.actionNote);
  const budget = h("input", {
    id: "action-budget",
    type: "number",
    min: "0.01",
    step: "0.01",
    placeholder: "requeue only: raise to",
    title: "The job's new budget in USD, its whole spend (above what it has spent)",
  });
  const status = statusLine("action-status");
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {};
  /** The job as last rendered. @type {{ stage: string, notBefore?: number | null, waitingReason?: any }} */
  let current = { stage: "" };
  for (const action of Object.keys(FROM)) {
    buttons[action] = h(
      "button",
      {
        type: "button",
        class: action === "cancel" || action === "reject" ? "danger" : action === "ship" ? "primary" : "secondary",
        title: HELP[/** @type {keyof HELP} */ (action)],
        dataset: { action },
        onclick: () => void run(action),
      },
      action,
    );
  }
  const bar = h(
    "section",
    { class: "actions", "aria-label": "Actions" },
    h("div", { class: "buttons" }, ...Object.values(buttons)),
    h("div", { class: "note" }, h("label", { for: "action-note" }, "Note"), note, noteLimit.counter),
    h("div", { class: "note" }, h("label", { for: "action-budget" }, "Job budget $"), budget),
    status,
  );

  /** @param {string} action */
  const run = async (action) => {
    const over = noteLimit.problem();
    if (over) return showError(status, `${action} not sent: the note is ${over}`);
    if (action === "cancel" && !confirm("Cancel this job? Its factory will be told to stop.")) return;
    const text = note.value.trim();
    const raise = action === "requeue" && budget.value.trim() !== "" ? Number(budget.value) : undefined;
    for (const b of Object.values(buttons)) b.disabled = true;
    showError(status, "");
    status.textContent = `${action}…`;
    try {
      const job = await api(session, `${jobPath(jobId)}/actions/${action}`, {
        method: "POST",
        body: { ...(text ? { note: text } : {}), ...(raise !== undefined ? { budgetUsd: raise } : {}) },
      });
      status.textContent = `${action}: job is now ${stageLabel(job.stage)}`;
      note.value = "";
      noteLimit.problem(); // the counter follows the emptied box
      budget.value = "";
      onDone(job);
    } catch (err) {
      showError(status, `${action} refused: ${describeError(err)}`);
      // Over its own budget: the detail says what it spent; the budget field is where the answer goes.
      if (err instanceof ApiError && err.code === "budget_exceeded") budget.focus();
    } finally {
      update(current);
    }
  };

  /** Grey out actions the job cannot take. @param {{ stage: string, notBefore?: number | null, waitingReason?: any }} job */
  const update = (job) => {
    current = job;
    for (const [action, b] of Object.entries(buttons))
      b.disabled = !(FROM[action]?.includes(job.stage) || (action === "requeue" && heldBack(job)));
  };

  return { bar, update };
}
