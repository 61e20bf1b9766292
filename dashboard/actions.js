// actions.js — the operator action bar of a job: requeue / cancel / approve / reject /
// ship (POST …/jobs/<id>/actions/<action>), with an optional note, showing the stage the
// job moved to or the problem's detail. A requeue may raise the job's own budget (USD, its
// whole spend): a job that spent its budget is refused `budget_exceeded` without, and the
// refusal's detail says how much it spent. Requeue is not offered below a cancelled composite
// (the server refuses it `ancestor_cancelled`).

import { ANCESTOR, JOB_ACTED } from "./answers.js";
import { ApiError, api, jobPath, writeFailure } from "./api.js";
import { armGroup } from "./busy.js";
import { BYTE_LIMITS, byteLimited } from "./byte-limit.js";
import { h, heldOutcome, showError, stageLabel, statusLine } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";

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

/** Whether the server may take a requeue of the job from its stage (FROM, or held back while queued). @param {any} job */
const requeueable = (job) => FROM.requeue.includes(job.stage) || heldBack(job);

/**
 * Ancestors read at most, one GET each: the server's own bound on nesting (src/core/composite.ts MAX_NESTING_DEPTH,
 * which the dashboard cannot import; test/unit/dashboard-requeue.test.ts proves they agree), so the page reaches every
 * ancestor the server's requeue guard reads. At 8 it stopped short of a cancelled composite 9 or more levels up and
 * offered a Requeue the server then refused. Read once per stage the job comes to, and only for a requeueable child.
 */
export const MAX_ANCESTOR_READS = 32;

/**
 * The nearest cancelled job above `job`, read up its parent chain — the server's own rule (src/core/composite.ts
 * `cancelledAncestor`): a requeue below it is refused, one below a failed ancestor is not. "" when there is none.
 * @param {(id: string) => Promise<{ stage: string, parentId?: string }>} read a job by id
 * @param {{ parentId?: string }} job
 * @returns {Promise<string>}
 */
export async function cancelledAbove(read, job) {
  let at = job.parentId;
  for (let n = 0; at && n < MAX_ANCESTOR_READS; n++) {
    const up = await read(at);
    if (up.stage === "cancelled") return at;
    at = up.parentId;
  }
  return "";
}

/**
 * Whether an action's button is greyed out: always while an action is in flight (the page re-renders the job on
 * every feed event and queue change, and that must not re-arm a button whose request is still out — the page marks
 * that wait busy.js's way, aria-disabled, so the pressed button keeps keyboard focus), else when the
 * job's stage cannot take it, or for a requeue below a cancelled ancestor (`cancelledParent`, "" when none).
 * @param {string} action @param {any} job @param {{ busy: boolean, cancelledParent: string }} state
 */
export const actionDisabled = (action, job, { busy, cancelledParent }) =>
  busy || (action === "requeue" ? !requeueable(job) || cancelledParent !== "" : !FROM[action]?.includes(job.stage));

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
  status.tabIndex = -1; // focus lands on the outcome when the clicked button is no longer offered
  // "requeue: job is now queued" is about the stage it names: a read finding the job elsewhere (assigned, building)
  // takes it away — it stood, until the next click, beside a job long since running (status-text heldOutcome).
  const outcome = heldOutcome(status);
  /** The answered job's `rev`: a read older than it (sent before the action landed) contradicts nothing. */
  let answeredRev = -1;
  /** @type {Record<string, HTMLButtonElement>} */
  const buttons = {};
  /** The job as last rendered. @type {{ stage: string, queuedAt?: number, parentId?: string, notBefore?: number | null, waitingReason?: any }} */
  let current = { stage: "" };
  /** The cancelled job above this one, once known: cancelled is final, so it is never read again. */
  let cancelledParent = "";
  /** The stage the parent chain was last read at: read again only when the job comes to a requeueable stage anew. */
  let readAt = "";
  /** An action's request is out: every button stays greyed out until it is answered. */
  let busy = false;
  for (const action of Object.keys(FROM)) {
    buttons[action] = h(
      "button",
      {
        type: "button",
        class: action === "cancel" || action === "reject" ? "danger" : action === "ship" ? "primary" : "secondary",
        title: HELP[/** @type {keyof HELP} */ (action)],
        dataset: { action },
        // Nothing is offered before the job is read: a verdict then would name no review round (unfenced), and
        // any action would be judged against a stage the page never showed.
        disabled: true,
        onclick: () => void run(action),
      },
      action,
    );
  }
  const bar = h(
    "section",
    { class: "actions", "aria-label": "Actions", "data-needs": "operator" }, // not drawn for a viewer (role.js)
    h("div", { class: "buttons" }, ...Object.values(buttons)),
    h("div", { class: "note" }, h("label", { for: "action-note" }, "Note"), note, noteLimit.counter),
    h("div", { class: "note" }, h("label", { for: "action-budget" }, "Job budget $"), budget),
    status,
  );

  /** @param {string} action */
  const run = async (action) => {
    const over = noteLimit.problem();
    if (over) return fieldError(note, status, `${action} not sent: the note is ${over}`);
    if (action === "cancel" && !confirm("Cancel this job? Its factory will be told to stop.")) return;
    const text = note.value.trim();
    const raise = action === "requeue" && budget.value.trim() !== "" ? Number(budget.value) : undefined;
    const verdict = action === "approve" || action === "reject";
    busy = true;
    update(current);
    showError(status, "");
    status.textContent = `${action}…`;
    try {
      const job = await api(session, `${jobPath(jobId)}/actions/${action}`, {
        method: "POST",
        body: {
          ...(text ? { note: text } : {}),
          ...(raise !== undefined ? { budgetUsd: raise } : {}),
          // A verdict on the build this page shows: its review round is the job's queuedAt (src/core/review.ts
          // reviewRoundOf), so a job requeued and rebuilt since is refused 409, not approved unseen.
          ...(verdict && current.queuedAt !== undefined ? { round: current.queuedAt } : {}),
        },
        answer: JOB_ACTED,
      });
      answeredRev = typeof job.rev === "number" ? job.rev : -1;
      outcome.say(`${action}: job is now ${stageLabel(job.stage)}`, job.stage);
      note.value = "";
      noteLimit.problem(); // the counter follows the emptied box
      budget.value = "";
      onDone(job);
    } catch (err) {
      const said = writeFailure(err, `${action} refused`);
      // Over its own budget: the detail says what it spent; the budget field is where the answer goes (marked).
      if (err instanceof ApiError && err.code === "budget_exceeded") fieldError(budget, status, said);
      else refusalError(err, status, said, { note, budgetUsd: budget }); // a box the coordinator refused is marked
      // Cancelled above it since the page read its parents: the refusal names the job; no requeue is offered again.
      if (err instanceof ApiError && err.code === "ancestor_cancelled") cancelledParent ||= "a job above it";
    } finally {
      busy = false;
      update(current);
      // Busy in flight, the click's button kept keyboard focus (busy.js); when the job's new stage no longer offers
      // it (disabled now, focus fell to the page's top), the outcome the status line reads takes it.
      const clicked = buttons[action];
      if (document.activeElement === document.body || document.activeElement === clicked)
        (clicked.disabled ? status : clicked).focus();
    }
  };

  /** A requeueable child: look up its parent chain once for this stage, then grey out Requeue if one is cancelled. */
  const readParents = (/** @type {any} */ job) => {
    if (cancelledParent || !job.parentId || !requeueable(job) || readAt === job.stage) return;
    readAt = job.stage;
    cancelledAbove((id) => api(session, jobPath(id), { answer: ANCESTOR }), job).then(
      (id) => {
        if (!id) return;
        cancelledParent = id;
        update(current);
      },
      () => {
        readAt = ""; // unread: the server judges a click, and the next render reads again
      },
    );
  };

  /** Grey out actions the job cannot take. @param {{ stage: string, rev?: number, parentId?: string, notBefore?: number | null, waitingReason?: any }} job */
  const update = (job) => {
    current = job;
    if (!((job.rev ?? -1) < answeredRev)) outcome.read(job.stage);
    readParents(job);
    // The job moved elsewhere and greyed out the focused button: focus to one still offered, else the outcome's line,
    // else the job's heading (its title and stage).
    const group = Object.entries(buttons).map(([action, b]) => {
      const off = actionDisabled(action, job, { busy: false, cancelledParent });
      return /** @type {[HTMLButtonElement, { busy: boolean, off: boolean }]} */ ([b, { busy, off }]);
    });
    armGroup(group, [status, document.getElementById("job-title")]);
    buttons.requeue.title = cancelledParent
      ? `Not offered: ${cancelledParent} is cancelled, and this job's work with it (submit it anew if still wanted)`
      : HELP.requeue;
  };

  return { bar, update };
}
