/**
 * @module cli/commands/queue-state
 * `gigafactory queue-state`: the product's queue version — bumped on every job
 * created and every stage change, so two reads that agree mean nothing moved.
 */
import type { Command } from "../context.ts";
import { checked, QueueStateRead } from "../read-answers.ts";

export const queueState: Command = {
  path: ["queue-state"],
  args: { names: "", min: 0, max: 0 },
  summary: "show the product's queue version (changes whenever a job is created or moves)",
  options: {},
  async run(ctx) {
    const state = checked(QueueStateRead, await ctx.client().queueState(), "a queue state");
    if (ctx.json) ctx.emit(state);
    else ctx.print(`queue version ${state.version}`);
    return 0;
  },
};
