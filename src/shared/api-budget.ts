/**
 * @module shared/api-budget
 * The wire format of the product budget (issue 9, part 1): the `PUT …/budget` body and the `GET …/budget` answer,
 * shared by the Worker's routes, the OpenAPI document, the CLI and the dashboard. Strict like the rest of shared/api.
 */
import { z } from "zod";
import { BUDGET_PERIODS, BUDGET_STATES } from "../core/budget.ts";
import { SPENT_SINCE_CAUSES } from "../core/budget-since.ts";
import { CHANGED } from "./api.ts";

/**
 * `PUT …/budget`: the period the ceiling applies to (UTC: day, ISO week from Monday, calendar month), the ceiling in
 * USD (0.01 … 10 000 000: a cent is the smallest spend worth a limit; ten million is beyond any fleet's period), and
 * what exhaustion does to running jobs (`pause`: they finish; `stop`: they are stopped, checkpoint kept).
 */
export const BudgetBody = z
  .object({
    period: z.enum(BUDGET_PERIODS),
    ceilingUsd: z.number().min(0.01).max(10_000_000),
    onExhausted: z.enum(["pause", "stop"]),
  })
  .strict();
export type BudgetBody = z.infer<typeof BudgetBody>;

/** `POST …/budget/pause` and `…/resume` take no fields (an empty body or `{}`). */
export const BudgetActionBody = z.object({}).strict();

/** `GET …/budget` (and the answer of every budget write). */
export const BudgetViewSchema = z
  .object({
    period: z.enum(BUDGET_PERIODS),
    ceilingUsd: z.number(),
    spentUsd: z.number(),
    state: z
      .enum(BUDGET_STATES)
      .describe("overrun: at or over the ceiling, dispatching because an operator resumed the exhaustion pause"),
    /** ms epoch, UTC boundary */
    periodStart: z.number().int(),
    /** ms epoch: when the period rolls over */
    periodEnd: z.number().int(),
    onExhausted: z.enum(["pause", "stop"]),
    /** 80 % of the ceiling: the warning line */
    warnAtUsd: z.number(),
    pausedBy: z
      .enum(["operator", "exhausted"])
      .optional()
      .describe("the pause `resume` lifts first: an operator's, else exhaustion's; absent when nothing is paused"),
    exhausted: z
      .boolean()
      .describe(
        "exhaustion pauses dispatch (the spend reached the ceiling, no operator chose to run over it), whoever else " +
          "paused: with pausedBy operator, resume lifts the operator's pause and this one stays",
      ),
    spentSince: z
      .number()
      .int()
      .describe("ms epoch: since when spentUsd counts (the period's start, or later: see spentSinceCause)"),
    spentSinceCause: z
      .enum(SPENT_SINCE_CAUSES)
      .describe(
        "period_start; budget_set: first set within the period, runs before it not counted; carried_over: counted " +
          "under the previous period and carried over when the period was changed",
      ),
    changedAt: z
      .number()
      .int()
      .optional()
      .describe("ms epoch: when the budget was last changed within the period, after the count began; else absent"),
    /** Cumulative spend over the period, oldest first (≤ 288 points, one per minute at most) */
    burndown: z.array(z.object({ at: z.number().int(), spentUsd: z.number() }).strict()),
    unpricedTokens: z
      .number()
      .int()
      .min(0)
      .describe(
        "tokens runs reported this period with no USD figure (Codex reports none; Claude Code's comes only with its " +
          "final result): not counted against the ceiling, except as estimatedUsd where settings prices their engine",
      ),
    estimatedUsd: z
      .number()
      .min(0)
      .describe(
        "of spentUsd, USD charged for unpriced tokens at the engine's price in settings `prices` — an estimate, " +
          "replaced by the engine's own USD when it reports one (never charged twice, never taken back)",
      ),
  })
  .strict();
export type BudgetView = z.infer<typeof BudgetViewSchema>;

/**
 * `POST …/budget/pause` and `…/resume` with no budget set: an operator's pause alone (SPEC §6: an emergency stop needs
 * no ceiling), `pausedBy` present while it is in force.
 */
export const UnbudgetedPauseSchema = z
  .object({
    budget: z.null().describe("no budget is set: the pause is an operator's alone, with no spend, ceiling or period"),
    pausedBy: z.enum(["operator"]).optional().describe("present while the operator's pause is in force"),
    changed: z.boolean(),
  })
  .strict();
export type UnbudgetedPause = z.infer<typeof UnbudgetedPauseSchema>;

/**
 * `POST …/budget/pause` and `…/resume`: the budget as it now is, and whether the action changed anything; with no
 * budget set, `{budget: null, pausedBy?, changed}`.
 */
export const BudgetActionAnswerSchema = z.union([BudgetViewSchema.extend(CHANGED), UnbudgetedPauseSchema]);
export type BudgetActionAnswer = z.infer<typeof BudgetActionAnswerSchema>;
