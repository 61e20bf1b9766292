/**
 * @module worker/openapi-ops-budget
 * The product budget's operations of the OpenAPI document (issue 9, part 1; worker/routes/budget).
 */
import { BudgetActionAnswerSchema, BudgetActionBody, BudgetBody, BudgetViewSchema } from "../shared/api-budget.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

/** Every budget operation answers the budget as it now is; pause and resume say whether they changed anything. */
const ok = { "200": json("The budget", BudgetViewSchema) };
const acted = { "200": json("The budget, and whether the action changed anything", BudgetActionAnswerSchema) };

/** GET's refusal on a product that has none (policies/budget-unset `noBudgetError`). */
const NO_BUDGET =
  '404 not_found when no budget is set, its problem naming `what: "budget of product"` and, while an operator\'s ' +
  "pause set without a budget is in force, `pausedBy: operator`";

const VIEW =
  "{period, ceilingUsd, spentUsd, state: ok|warning|paused|overrun, periodStart, periodEnd, onExhausted, warnAtUsd, " +
  "pausedBy?, exhausted, burndown: [{at, spentUsd}], unpricedTokens, estimatedUsd}" +
  " (exhausted: exhaustion pauses dispatch whoever else paused — under an operator's pause, what a resume leaves;" +
  " unpricedTokens: tokens runs reported this period with no USD figure — Codex reports none, Claude Code only with" +
  " its final result — not counted against the ceiling unless settings `prices` prices their engine; estimatedUsd:" +
  " the part of spentUsd so charged, an estimate until the engine reports USD)";

/**
 * Pause and resume (worker/routes/budget reads both alike): an operator's POST with no body, audited
 * `budget.<action>`, answering the budget and `changed`; `what` says what the action does, `unchanged` when it
 * changes nothing.
 */
function budgetAction(
  action: "pause" | "resume",
  names: { operationId: string; summary: string },
  what: string,
  unchanged: string,
): Op {
  return {
    method: "post",
    path: `${P}/budget/${action}`,
    ...names,
    description:
      `${what}. Audited budget.${action}; answers the budget and \`changed\` (false: ${unchanged}). With no budget ` +
      "set it works all the same on an operator's pause alone (an emergency stop needs no ceiling; settings." +
      "budgetPaused, kept by the first budget set) and answers {budget: null, pausedBy?: operator, changed}",
    role: "operator",
    body: BudgetActionBody,
    bodyOptional: true,
    ok: acted,
  };
}

export const BUDGET_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/budget`,
    operationId: "getBudget",
    summary: "The product budget in its current UTC period",
    description:
      `The product budget in its current UTC period ${VIEW} (USD to the micro-dollar); state: ok under 80 % of ` +
      "the ceiling, warning at ≥ 80 %, paused at ≥ 100 % or by an operator (pausedBy: the pause a resume lifts " +
      "first), overrun at ≥ 100 % while an operator's resume runs the period over the ceiling; " +
      `${NO_BUDGET} (an unknown product's names \`what: "product"\`)`,
    role: "viewer",
    ok,
  },
  {
    method: "put",
    path: `${P}/budget`,
    operationId: "setBudget",
    summary: "Set the product budget: its period, ceiling and what exhaustion does",
    description:
      "Set the budget {period: day|week|month, ceilingUsd, onExhausted: pause|stop}: cost accrues from run insights " +
      "as reported, and only while a budget is set: a product's first budget starts at spentUsd 0, runs reported " +
      "before it uncounted; at 100 % dispatch pauses (waitingReason budget_paused, detail {pausedBy, spentUsd, " +
      "ceilingUsd, period, periodEndsAt, until: the period's end when that lifts it}; a job no factory could run reads " +
      "its fleet reason first, detail.budgetPaused) and running jobs finish (pause) or are stopped and requeued with " +
      "their checkpoint kept, each run closed budget_exceeded (stop) — a job whose runs have spent its own budget.usd/" +
      "tokens is not requeued but failed, its run saying so (not retryable). A new period carries the spend so far over (never erased by a " +
      `switch): it counts until the new period rolls over. Audited budget.set (carriedUsd); answers ${VIEW}`,
    role: "operator",
    body: BudgetBody,
    ok,
  },
  budgetAction(
    "pause",
    { operationId: "pauseBudget", summary: "Pause dispatch by budget until resumed (running jobs finish)" },
    "Pause dispatch by budget until resumed (running jobs finish)",
    "an operator's pause was already in force, nothing written or audited",
  ),
  budgetAction(
    "resume",
    { operationId: "resumeBudget", summary: "Lift one budget pause" },
    "Lift one pause: an operator's if there is one — over the ceiling the budget then stays paused (pausedBy " +
      "exhausted: spend past the ceiling alerts and applies onExhausted under an operator's pause too); else " +
      "exhaustion's, and the period runs over its ceiling (state overrun) until it rolls over or the ceiling is " +
      "raised above the spend",
    "nothing was paused — nothing written, audited or resolved",
  ),
];
