/**
 * @module worker/routes/breakers
 * Circuit breakers and quarantine (issue 9, parts 3–4), operator side: `GET …/breakers` lists every breaker that is
 * not plainly closed (viewer and above); `POST …/factories/{factoryId}/release` returns a quarantined factory to
 * `active` (operator; audited `factory.release`; unknown factory → 404, one not quarantined → 409 conflict). The
 * factories list (`GET …/factories`) shows each factory's breakers too (coordinator/rpc/breakers).
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { EntityId } from "../../shared/api.ts";
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
