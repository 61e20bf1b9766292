/**
 * @module worker/routes/dag
 * Composite jobs over HTTP: `POST …/jobs/{id}/children` (operator) makes a job a composite parent with the given
 * children (an `Idempotency-Key` makes a retry return the same children: 200, `idempotent-replayed: true`), `GET …/jobs/{id}/tree` (viewer or above) reads a job's subtree with each node's stage and waiting reason.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { DerivedKeyHeader, EntityId } from "../../shared/api.ts";
import { ChildrenBody, MAX_CHILDREN_BYTES } from "../../shared/api-policies.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { fromZod } from "../problem.ts";
import { header, noQuery, param, readJson } from "../validate.ts";

export const dag = new Hono<AppEnv>();

dag.post("/jobs/:jobId/children", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  const key = header(c, "Idempotency-Key", DerivedKeyHeader);
  const parsed = ChildrenBody.safeParse(await readJson(c, MAX_CHILDREN_BYTES));
  if (!parsed.success) throw fromZod("body", parsed.error);
  const coordinator = c.get("coordinator");
  const { created, ...made } = await unwrap(
    coordinator.addChildren(c.get("productId"), id, parsed.data.children, actorOf(principal), key, openerOf(c)),
  );
  if (!created) c.header("idempotent-replayed", "true");
  return c.json(made, created ? 201 : 200);
});

dag.get("/jobs/:jobId/tree", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  return c.json(await unwrap(c.get("coordinator").jobTree(c.get("productId"), id)));
});
