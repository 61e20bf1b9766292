/**
 * @module cli/commands/review
 * `gigafactory review approve|reject ID [--comment TEXT]`: a review under the token the CLI signs in with — its
 * id is what counts towards the job's quorum, once; `--round N` (the round `reviews ID` shows) refuses it if the job
 * was requeued and rebuilt since — and `gigafactory reviews ID`: who approved, k of N. Under
 * --json: the API's documents (the job and its reviews after the review; the reviews for `reviews`).
 */
import type { ReviewsView } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";
import { formatInstant, NONE, renderTable } from "../table.ts";

function reviewTable(view: ReviewsView): string {
  if (view.reviews.length === 0) return "no reviews yet";
  return renderTable(
    [
      { header: "WHEN" },
      { header: "REVIEWER", max: 30 },
      { header: "VERDICT" },
      { header: "COUNTS" },
      { header: "COMMENT", max: 60 },
    ],
    view.reviews.map((r) => [
      formatInstant(r.at),
      `${r.reviewerName} (${r.reviewer})`,
      r.verdict,
      r.counted ? "yes" : "no",
      r.comment ?? NONE,
    ]),
  );
}

function verdictCommand(verdict: "approve" | "reject"): Command {
  return {
    path: ["review", verdict],
    args: { names: "ID", min: 1, max: 1 },
    summary:
      verdict === "approve"
        ? "approve a job in review as this token (each token counts once towards the quorum)"
        : "reject a job: failed, or requeued with the comment as feedback (onReject); a running job is stopped",
    options: {
      comment: { type: "string", value: "TEXT", help: "what the reviewer says (≤ 500 bytes)" },
      round: {
        type: "string",
        value: "ROUND",
        int: { min: 0, max: Number.MAX_SAFE_INTEGER },
        help: "the round `reviews ID` showed: refused if the job was requeued and rebuilt since",
      },
    },
    async run(ctx) {
      const comment = ctx.str("comment");
      const round = ctx.int("round");
      const out = await ctx.client().review(ctx.positionals[0]!, {
        verdict,
        ...(comment ? { comment } : {}),
        ...(round !== undefined ? { round } : {}),
      });
      if (ctx.json) ctx.emit(out);
      else {
        const quorum = out.required > 0 ? `; ${out.approvals} of ${out.required} approvals` : "";
        ctx.print(
          `✔ ${verdict === "approve" ? "approved" : "rejected"}: job ${out.job.id} is now ${out.job.stage}${quorum}`,
        );
      }
      return 0;
    },
  };
}

export const reviewCommands: Command[] = [
  verdictCommand("approve"),
  verdictCommand("reject"),
  {
    path: ["reviews"],
    args: { names: "ID", min: 1, max: 1 },
    summary: "a job's reviews: who approved (k of N) and what each reviewer said",
    options: {},
    async run(ctx) {
      const view = await ctx.client().listReviews(ctx.positionals[0]!);
      if (ctx.json) ctx.emit(view);
      else {
        // The round fences a verdict to this build (`review approve ID --round N`); older coordinators send none.
        const round = view.round === undefined ? "" : `, round ${view.round}`;
        ctx.print(`${view.approvals} of ${view.required} approvals (job ${view.jobId}, ${view.stage}${round})`);
        ctx.print(reviewTable(view));
      }
      return 0;
    },
  },
];
