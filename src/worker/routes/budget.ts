/**
 * @module worker/routes/budget
 * The product budget (issue 9, part 1; coordinator/policies/budget): `GET …/budget` (viewer and above) answers
 * `{period, ceilingUsd, spentUsd, state, periodStart, burndown, …}` or a 404 problem when no budget is set;
 * `PUT …/budget {period, ceilingUsd, onExhausted}`, `POST …/budget/pause` and `POST …/budget/resume` (operator,
 * audited `budget.set` / `budget.pause` / `budget.resume`) answer the budget as it now is.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { BudgetActionBody, BudgetBody } from "../../shared/api-budget.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noQuery } from "../validate.ts";

export const budget = new Hono<AppEnv>();

budget.get("/budget", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").readBudget(c.get("productId"))));
});

budget.put("/budget", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const input = await body(c, BudgetBody);
  return c.json(
    await unwrap(c.get("coordinator").setBudget(c.get("productId"), input, actorOf(principal), openerOf(c))),
  );
});

budget.post("/budget/pause", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await body(c, BudgetActionBody, true);
  return c.json(await unwrap(c.get("coordinator").pauseBudget(c.get("productId"), actorOf(principal), openerOf(c))));
});

budget.post("/budget/resume", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await body(c, BudgetActionBody, true);
  return c.json(await unwrap(c.get("coordinator").resumeBudget(c.get("productId"), actorOf(principal), openerOf(c))));
});
