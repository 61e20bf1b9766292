/**
 * @module cli/commands/review
 * `gigafactory review approve|reject ID [--comment TEXT]`: a review under the token the CLI signs in with — its
 * id is what counts towards the job's quorum, once; `--round N` (the round id `reviews ID` prints: the ms instant the
 * build under review was queued, not a count) refuses it if the job was requeued and rebuilt since — and `gigafactory reviews ID`: who approved, k of N. Under
 * --json: the API's documents (the job and its reviews after the review; the reviews for `reviews`). Ctrl-C while a
 * verdict is out waits for its answer and ends exit 130, as `approve|reject ID` (cli/commands/job-actions-interrupt).
 */

import { counted } from "../../core/counted.ts";
import { MAX_COMMENT_BYTES } from "../../core/review.ts";
import type { ReviewsView } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { SIGTERM_HELP } from "../interruption.ts";
import { plainTextInput } from "../plain-input.ts";
import { checked } from "../read-answers.ts";
import { checkedWrite, lineOf, lineTable, ReviewedRead, ReviewsRead } from "../read-answers-policy.ts";
import { sendListening } from "../request-interrupt.ts";
import { formatInstant, NONE } from "../table.ts";
import { actionAnswered, actionFailed, stoppingActionNote } from "./job-actions-interrupt.ts";

function reviewTable(view: ReviewsView, terminal?: number): string {
  if (view.reviews.length === 0) return "no reviews yet";
  return lineTable(
    [
      { header: "WHEN" },
      { header: "REVIEWER", max: 30 },
      { header: "VERDICT" },
      { header: "COUNTS" },
      // Never cut (cli/table `wrap`): a rejection's comment is what the rework must change.
      { header: "COMMENT", max: 60, wrap: true },
    ],
    view.reviews.map((r) => [
      formatInstant(r.at),
      `${r.reviewerName} (${r.reviewer})`,
      r.verdict,
      r.counted ? "yes" : "no",
      r.comment ?? NONE,
    ]),
    terminal,
  );
}

/**
 * What the review round is, and how to use it. The round is no count but an instant (ms): when the job last entered
 * the queue, i.e. which build is under review. Printed bare as "round 1796473170770", it read as a round number.
 * Its ms value stays what `--round` takes, printed whole in the command to copy.
 */
function roundLine(jobId: string, round: number): string {
  const id = lineOf(jobId); // the server's text
  return (
    `round: the build queued at ${formatInstant(round)} — \`gigafactory review approve ${id} --round ${round}\` ` +
    "fences a verdict to it (refused once the job is requeued)"
  );
}

function verdictCommand(verdict: "approve" | "reject"): Command {
  return {
    path: ["review", verdict],
    args: { names: "ID", min: 1, max: 1 },
    jobIdArg: true,
    summary:
      verdict === "approve"
        ? "approve a job in review as this token (each token counts once towards the quorum)"
        : "reject a job: failed, or requeued with the comment as feedback (onReject); a running job is stopped",
    details: [
      "Prints the stage the job is now in and, with a quorum, how many approvals it has of how many it needs; under",
      "--json the API's {job, required, approvals, …}.",
      "Ctrl-C while the verdict is on its way waits for its answer (within --timeout), which decides whether it went",
      "in: it prints the answer as without it and ends `✘ ERROR interrupted` (exit 130; under --json the answer with",
      "`error`); a request that failed after it says whether the verdict may have gone in and to read the job with",
      "`gigafactory job ID` before sending it again (under --json {error, failure}). A second Ctrl-C ends at once.",
      SIGTERM_HELP,
    ],
    options: {
      comment: { type: "string", value: "TEXT", help: `what the reviewer says (≤ ${MAX_COMMENT_BYTES} bytes)` },
      round: {
        type: "string",
        value: "ROUND",
        int: { min: 0, max: Number.MAX_SAFE_INTEGER },
        help: "the round id `reviews ID` prints (ms: when the build under review was queued): refused if the job was requeued and rebuilt since",
      },
    },
    async run(ctx) {
      const typed = ctx.str("comment");
      const comment =
        typed === undefined ? undefined : plainTextInput(typed, "--comment", `review ${verdict}`, MAX_COMMENT_BYTES);
      const round = ctx.int("round");
      const id = ctx.positionals[0]!;
      const body = { verdict, ...(comment ? { comment } : {}), ...(round !== undefined ? { round } : {}) };
      // Ctrl-C while the verdict is out waits for its answer (job-actions-interrupt, as `approve|reject ID`): it
      // decides whether the job was approved or rejected — a reject under onReject: requeue starts a paid run.
      const sent = await sendListening(ctx, stoppingActionNote(verdict, id), async () => {
        const answer = await ctx.client().review(id, body);
        return checkedWrite(ReviewedRead, answer, "a review's outcome", `read \`gigafactory reviews ${id}\``);
      });
      if ("failed" in sent) return actionFailed(ctx, sent.stopped, sent.failed, verdict, id, `review ${verdict}`);
      const out = sent.answer;
      if (ctx.json) {
        if (sent.stopped) return actionAnswered(ctx, sent.stopped, verdict, out.job, out);
        ctx.emit(out);
      } else {
        const quorum = out.required > 0 ? `; ${out.approvals} of ${counted(out.required, "approval")}` : "";
        // The job's id and stage are the server's text: a newline in one printed a second, forged ✔ line.
        const job = lineOf(`${out.job.id} is now ${out.job.stage}`);
        ctx.print(`✔ ${verdict === "approve" ? "approved" : "rejected"}: job ${job}${quorum}`);
      }
      return sent.stopped ? actionAnswered(ctx, sent.stopped, verdict, out.job, out) : 0;
    },
  };
}

export const reviewCommands: Command[] = [
  verdictCommand("approve"),
  verdictCommand("reject"),
  {
    path: ["reviews"],
    args: { names: "ID", min: 1, max: 1 },
    jobIdArg: true,
    summary: "a job's reviews: who approved (k of N) and what each reviewer said",
    options: {},
    async run(ctx) {
      const view = checked(ReviewsRead, await ctx.client().listReviews(ctx.positionals[0]!), "a job's reviews");
      if (ctx.json) ctx.emit(view);
      else {
        const job = lineOf(`job ${view.jobId}, ${view.stage}`); // the server's text, on the one headline
        ctx.print(`${view.approvals} of ${counted(view.required, "approval")} (${job})`);
        if (view.round !== undefined) ctx.print(roundLine(view.jobId, view.round));
        ctx.print(reviewTable(view, ctx.io.stdoutColumns));
      }
      return 0;
    },
  },
];
