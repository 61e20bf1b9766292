/**
 * @module worker/routes/reviews
 * The review gate over HTTP: `POST …/jobs/{id}/reviews {verdict, comment?}` (operator) records a review by
 * the caller's own credential — the token's stable id, never a name in the body — and `GET …/jobs/{id}/reviews`
 * (viewer+) shows the quorum, the approvals that count and who gave them (coordinator/policies/reviews).
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { EntityId } from "../../shared/api.ts";
import { ReviewBody } from "../../shared/api-policies.ts";
import { type AppEnv, actorOf, openerOf, requireRole, reviewerOf } from "../auth.ts";
import { body, noQuery, param } from "../validate.ts";

export const reviews = new Hono<AppEnv>();

reviews.post("/jobs/:jobId/reviews", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  const input = await body(c, ReviewBody);
  const out = await unwrap(
    c.get("coordinator").review(
      c.get("productId"),
      id,
      {
        ...input,
        by: reviewerOf(principal),
        actor: actorOf(principal),
      },
      openerOf(c),
    ),
  );
  return c.json(out, 201);
});

reviews.get("/jobs/:jobId/reviews", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  return c.json(await unwrap(c.get("coordinator").reviews(c.get("productId"), id)));
});
