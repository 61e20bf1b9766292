/**
 * @module worker/routes/serial
 * Serial gates, operator side: `GET …/serial` (viewer+: every key with a holder, a queue or a freeze, paged by
 * key), `POST …/serial/{key}/freeze` and `…/unfreeze` (operator, audited, with a reason). The key travels
 * URL-encoded in the path (`repo%2Fmain`); it is validated after decoding (core/serial-gates).
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { FreezeBody, SerialKeyParam, SerialListQuery, UnfreezeBody } from "../../shared/api-policies.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noQuery, param, query } from "../validate.ts";

export const serial = new Hono<AppEnv>();

serial.get("/serial", async (c) => {
  requireRole(c, "viewer");
  const q = query(c, SerialListQuery);
  return c.json(await unwrap(c.get("coordinator").listSerialGates(c.get("productId"), q)));
});

serial.post("/serial/:key/freeze", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const key = param(c, "key", SerialKeyParam);
  const { reason } = await body(c, FreezeBody);
  return c.json(
    await unwrap(
      c.get("coordinator").freezeSerialKey(c.get("productId"), key, actorOf(principal), reason, openerOf(c)),
    ),
  );
});

serial.post("/serial/:key/unfreeze", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const key = param(c, "key", SerialKeyParam);
  const { reason } = await body(c, UnfreezeBody, true);
  return c.json(
    await unwrap(
      c.get("coordinator").unfreezeSerialKey(c.get("productId"), key, actorOf(principal), reason, openerOf(c)),
    ),
  );
});
