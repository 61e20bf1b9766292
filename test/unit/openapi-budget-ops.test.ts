// The OpenAPI document's budget operations say what the code does (found by a reviewer): GET's description gives
// every state its rule — it said "paused at ≥ 100 %", while a budget an operator resumed over its ceiling reads
// `overrun` and dispatches; pause and resume name the 404 they answer for a product with no budget (only GET did);
// resume says an overrun ends when the period rolls over OR the ceiling is raised above the spend (it named the
// first only). Each claim is checked against core/budget's rule as well as read in the text.
import { describe, expect, it } from "vitest";
import { BUDGET_STATES, budgetState, type ProductBudget, rollover } from "../../src/core/budget.ts";
import { BUDGET_OPS } from "../../src/worker/openapi-ops-budget.ts";

const textOf = (operationId: string) => {
  const op = BUDGET_OPS.find((o) => o.operationId === operationId);
  return `${op?.summary ?? ""} ${op?.description ?? ""}`;
};

const overrun: ProductBudget = {
  period: "day",
  ceilingUsd: 1,
  onExhausted: "stop",
  periodStart: Date.UTC(2026, 11, 5),
  spentUsd: 2,
  overrun: true,
  burndown: [],
};

describe("the budget operations in the OpenAPI document", () => {
  it("GET gives every state its rule: over the ceiling is paused, or overrun after an operator's resume", () => {
    const get = textOf("getBudget");
    for (const state of BUDGET_STATES) expect(get, state).toMatch(new RegExp(`\\b${state} (under|at) `));
    expect(get).toContain("overrun at ≥ 100 % while an operator's resume runs the period over the ceiling");
    expect(budgetState(overrun)).toBe("overrun");
    expect(budgetState({ ...overrun, overrun: undefined, exhausted: true })).toBe("paused");
  });

  // With no budget set, GET is the 404 it was, and says an operator's pause; pause and resume work (SPEC §6: an
  // emergency stop needs no ceiling) and say their answer then.
  it("GET names the 404 of a product with no budget; pause and resume say they work without one", () => {
    expect(textOf("getBudget")).toContain(
      '404 not_found when no budget is set, its problem naming `what: "budget of product"` and, while an operator',
    );
    for (const id of ["pauseBudget", "resumeBudget"]) {
      expect(textOf(id), id).toContain("With no budget set it works all the same on an operator's pause alone");
      expect(textOf(id), id).toContain("{budget: null, pausedBy?: operator, changed}");
    }
  });

  it("resume says both ends of an overrun: the period's rollover and a ceiling above the spend", () => {
    const resume = textOf("resumeBudget");
    expect(resume).toContain("until it rolls over or the ceiling is raised above the spend");
    expect(budgetState(rollover(overrun, Date.UTC(2026, 11, 6)))).toBe("ok");
    expect(budgetState({ ...overrun, ceilingUsd: 3 })).not.toBe("overrun");
  });
});
