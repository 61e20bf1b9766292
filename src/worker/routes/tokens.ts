/**
 * @module worker/routes/tokens
 * Product-scoped operator and viewer tokens, minted and revoked by the admin.
 * A token is shown once at minting; only its SHA-256 hash is kept.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { EntityId, MintTokenBody } from "../../shared/api.ts";
import { type AppEnv, actorOf, newToken, openerOf, requireRole, sha256Hex } from "../auth.ts";
import { body, noBody, noQuery, param } from "../validate.ts";

export const tokens = new Hono<AppEnv>();

tokens.post("/tokens", async (c) => {
  const principal = requireRole(c, "admin");
  noQuery(c);
  const { role, name } = await body(c, MintTokenBody);
  const productId = c.get("productId");
  const token = newToken(productId);
  const info = await unwrap(
    c.get("coordinator").mintToken(productId, role, name, await sha256Hex(token), actorOf(principal), openerOf(c)),
  );
  return c.json({ ...info, token }, 201);
});

tokens.get("/tokens", async (c) => {
  requireRole(c, "admin");
  noQuery(c);
  return c.json({ tokens: await unwrap(c.get("coordinator").listTokens(c.get("productId"))) });
});

tokens.delete("/tokens/:tokenId", async (c) => {
  const principal = requireRole(c, "admin");
  noQuery(c);
  await noBody(c);
  const id = param(c, "tokenId", EntityId);
  return c.json(
    await unwrap(c.get("coordinator").revokeToken(c.get("productId"), id, actorOf(principal), openerOf(c))),
  );
});
