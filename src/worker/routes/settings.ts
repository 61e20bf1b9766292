/**
 * @module worker/routes/settings
 * A product's settings (core/settings): `GET …/settings` (viewer and above) answers the whole record, defaults
 * filled in; `PATCH …/settings` (operator) merges a strict, validated patch and answers the new record — audited as
 * `settings.update`, and a changed lease TTL is pushed to connected factories (coordinator/policies/settings).
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { SettingsPatchBody } from "../../shared/api-policies.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noQuery } from "../validate.ts";

export const settings = new Hono<AppEnv>();

settings.get("/settings", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").readSettings(c.get("productId"))));
});

settings.patch("/settings", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const patch = await body(c, SettingsPatchBody);
  return c.json(
    await unwrap(c.get("coordinator").patchSettings(c.get("productId"), patch, actorOf(principal), openerOf(c))),
  );
});
