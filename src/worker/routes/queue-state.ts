/**
 * @module worker/routes/queue-state
 * The cheapest read in the API: the product's queue version. A factory that
 * sees the same version as last time knows no job was created or changed stage.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { type AppEnv, requireRole } from "../auth.ts";
import { noQuery } from "../validate.ts";

export const queueState = new Hono<AppEnv>();

queueState.get("/queue-state", async (c) => {
  // The one product-wide read a factory keeps (see worker/auth): "did anything change?".
  requireRole(c, "member");
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").queueState(c.get("productId"))));
});
