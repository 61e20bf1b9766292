/**
 * @module worker/routes/breakers
 * Circuit breakers and quarantine (issue 9, parts 3–4), operator side: `GET …/breakers` lists every breaker that is
 * not plainly closed (viewer and above); `POST …/factories/{factoryId}/release` returns a quarantined factory to
 * `active` (operator; audited `factory.release`; unknown factory → 404, one not quarantined → 409 conflict);
 * `POST …/factories/{factoryId}/breakers/{engine}/reset` closes one breaker (operator; audited `breaker.reset`;
 * unknown factory → 404; an engine the factory never declared and has no breaker for → 404 `unknown_engine`). The factories list (`GET …/factories`) shows each factory's breakers too
 * (coordinator/rpc/breakers).
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { EntityId } from "../../shared/api.ts";
import { BreakerEngineParam } from "../../shared/api-metrics.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { noBody, noQuery, param } from "../validate.ts";

export const breakers = new Hono<AppEnv>();

breakers.get("/breakers", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json({ breakers: await unwrap(c.get("coordinator").listBreakers(c.get("productId"))) });
});

breakers.post("/factories/:factoryId/release", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "factoryId", EntityId);
  return c.json(
    await unwrap(c.get("coordinator").releaseFactory(c.get("productId"), id, actorOf(principal), openerOf(c))),
  );
});

/**
 * An operator closes the breaker of one factory × engine (`*`: the factory's default engine): no body, no query.
 * Answers the breaker as it is now, `{factoryId, engine, state: "closed", consecutiveFailures: 0, changed}`. One
 * already closed with no failures — or a declared engine with no breaker on the factory, which is the same thing (no
 * row) — is 200 with `changed: false`, not a 409: the state asked for holds, as `…/release` of an active factory
 * answers, so a retry or two operators at once both succeed. Unknown factory → 404; an engine the factory never
 * declared and has no breaker for → 404 `unknown_engine` (policies/breaker-reset); a bad engine name → 400.
 */
breakers.post("/factories/:factoryId/breakers/:engine/reset", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "factoryId", EntityId);
  const engine = param(c, "engine", BreakerEngineParam);
  const reset = c.get("coordinator").resetBreaker(c.get("productId"), id, engine, actorOf(principal), openerOf(c));
  return c.json(await unwrap(reset));
});
