/**
 * @module cli/commands/job-actions
 * `gigafactory requeue|cancel|ship|approve|reject ID`: the operator actions
 * on a job, one command each (they read as verbs at the prompt). The server
 * checks the transition; the CLI reports the stage the job ended up in.
 * Under --json: the job after the action.
 */
import { JOB_ACTIONS } from "../../shared/api.ts";
import type { JobAction } from "../../shared/http-client.ts";
import type { Command } from "../context.ts";

const SUMMARIES: Record<JobAction, string> = {
  requeue: "put a job back in the queue (a failed job gets a fresh set of attempts)",
  cancel: "cancel a job; a factory working on it is told to stop",
  ship: "mark a job shipped",
  approve: "approve a job in review (counts once per token; see `review approve`)",
  reject: "reject a job in review (fails it, or requeues it with the note as feedback)",
};

function actionCommand(action: JobAction): Command {
  return {
    path: [action],
    args: { names: "ID", min: 1, max: 1 },
    summary: SUMMARIES[action],
    options: {
      note: { type: "string", value: "TEXT", help: "why; kept in the audit log (and as feedback on reject)" },
      reviewer: {
        type: "string",
        value: "NAME",
        help: "a label only: the review counts as this token, whatever the name",
      },
    },
    async run(ctx) {
      const id = ctx.positionals[0]!;
      const note = ctx.str("note");
      const reviewer = ctx.str("reviewer");
      const job = await ctx.client().action(id, action, {
        ...(note !== undefined ? { note } : {}),
        ...(reviewer !== undefined ? { reviewer } : {}),
      });
      if (ctx.json) ctx.emit(job);
      else ctx.print(`✔ ${action}: job ${job.id} is now ${job.stage}`);
      return 0;
    },
  };
}

export const jobActions: Command[] = JOB_ACTIONS.map(actionCommand);
