/**
 * @module cli/commands/budget-unset
 * `gigafactory budget pause` / `resume` and `budget` on a product with no budget set (SPEC §6: an emergency stop needs
 * no ceiling; coordinator policies/budget-unset). Pause answered `✘ ERROR not_found: budget of product demo does not
 * exist` and dispatch ran on; now the coordinator answers `{budget: null, pausedBy?, changed}` and these say it, and
 * `budget` says an operator's pause in force, which "No budget is set … spend does not limit dispatch" hid.
 */
import { z } from "zod";
import type { Ctx } from "../context.ts";

/** A pause's or resume's answer with no budget set (shared/api-budget `UnbudgetedPauseSchema`). */
export const UnsetRead = z.object({
  budget: z.null(),
  pausedBy: z.string().nullable().optional(),
  changed: z.boolean(),
});
export type UnsetAnswer = z.infer<typeof UnsetRead>;

/** Whether a budget write's answer is the no-budget one. */
export function isUnset(answer: unknown): answer is UnsetAnswer {
  return typeof answer === "object" && answer !== null && (answer as { budget?: unknown }).budget === null;
}

const RESUME = "`gigafactory budget resume` lifts the pause";

/** `budget pause` / `resume` with no budget set: what changed, in a line (`--json`: the answer as is). */
export function outUnset(ctx: Ctx, action: "pause" | "resume", a: UnsetAnswer): number {
  if (ctx.json) {
    ctx.emit(a);
    return 0;
  }
  const product = ctx.connection().product;
  if (action === "pause") {
    ctx.print(
      a.changed
        ? `✔ Dispatch paused by an operator: no new dispatch in product ${product} (running jobs finish); no budget is set, so this pause has no ceiling or period — ${RESUME}`
        : `already paused by an operator: nothing changed — ${RESUME}`,
    );
  } else {
    ctx.print(
      a.changed
        ? `✔ Operator's pause lifted: dispatch continues in product ${product} (no budget is set)`
        : "already running: dispatch was not paused, nothing resumed",
    );
  }
  return 0;
}

/** `budget`'s words for a product with no budget, paused by an operator or not (the 404's `pausedBy`). */
export function noBudgetWords(product: string, pausedBy: unknown, setOne: string): string {
  const none = `No budget is set for product ${product}: spend does not limit dispatch.`;
  if (pausedBy !== "operator") return `${none} Set one: ${setOne}`;
  return `${none} Dispatch is paused by an operator — ${RESUME}. Set one: ${setOne}`;
}
