/**
 * @module worker/routes/factories
 * Fleet membership, operator side: enroll (the token is shown once, only its
 * hash is kept), list, status (drain / quarantine / release), approval of
 * capabilities and seats a factory declared beyond its grant, token rotate and
 * revoke, deregister; enrollment codes minted, listed (never the code: only its
 * hash is kept) and revoked.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { ApproveGrantBody, EnrollBody, EnrollmentCodeBody, EntityId, FactoryStatusBody } from "../../shared/api.ts";
import { type AppEnv, actorOf, newToken, openerOf, requireRole, sha256Hex } from "../auth.ts";
import { bearerToken } from "../bearer-token.ts";
import { body, noBody, noQuery, param } from "../validate.ts";

export const factories = new Hono<AppEnv>();

factories.post("/factories/enroll", async (c) => {
  // An operator enrolls directly; an agent enrolls with a one-time code (used up here, or resumed with its nonce).
  const principal = requireRole(c, "enrollment");
  noQuery(c);
  const input = await body(c, EnrollBody);
  const productId = c.get("productId");
  const token = newToken(productId);
  // The code is used up in the enrolling unit; an operator token is checked there again (revoked since: 401).
  // With a code, the agent's nonce goes as its hash: a spent code sent again with it resumes the enrollment whose
  // answer the agent lost (coordinator access/enrollment-resume). An operator's nonce means nothing: not sent on.
  const { nonce, ...asked } = input;
  const by =
    principal.kind === "enrollment"
      ? {
          codeHash: await sha256Hex(bearerToken(c)),
          ...(nonce !== undefined ? { nonceHash: await sha256Hex(nonce) } : {}),
        }
      : principal.kind === "token"
        ? { tokenId: principal.tokenId }
        : undefined;
  const { resumed, ...factory } = await unwrap(
    c.get("coordinator").enroll(productId, asked, await sha256Hex(token), actorOf(principal), by, openerOf(c)),
  );
  return c.json({ factoryId: factory.id, token, factory, ...(resumed ? { resumed } : {}) }, 201);
});

factories.post("/factories/enrollment-codes", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const { ttlSeconds, name, seats } = await body(c, EnrollmentCodeBody, true);
  const productId = c.get("productId");
  const code = newToken(productId, "gfe");
  const grant = { ...(name !== undefined ? { name } : {}), ...(seats !== undefined ? { seats } : {}) };
  // An operator token's code is revoked with that token (coordinator access/enrollment `revokeCodesMintedBy`).
  const minter = principal.kind === "token" ? principal.tokenId : undefined;
  const info = await unwrap(
    c
      .get("coordinator")
      .mintEnrollmentCode(productId, await sha256Hex(code), ttlSeconds, actorOf(principal), grant, minter, openerOf(c)),
  );
  return c.json({ ...info, code }, 201);
});

// Before `/factories/:factoryId`, which would otherwise read "enrollment-codes" as a factory id.
factories.get("/factories/enrollment-codes", async (c) => {
  requireRole(c, "operator");
  noQuery(c);
  return c.json({ codes: await unwrap(c.get("coordinator").listEnrollmentCodes(c.get("productId"))) });
});

factories.delete("/factories/enrollment-codes/:codeId", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "codeId", EntityId);
  return c.json(
    await unwrap(c.get("coordinator").revokeEnrollmentCode(c.get("productId"), id, actorOf(principal), openerOf(c))),
  );
});

factories.get("/factories", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json({ factories: await unwrap(c.get("coordinator").listFactories(c.get("productId"))) });
});

factories.get("/factories/:factoryId", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  const id = param(c, "factoryId", EntityId);
  return c.json(await unwrap(c.get("coordinator").getFactory(c.get("productId"), id)));
});

factories.post("/factories/:factoryId/status", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "factoryId", EntityId);
  const { status } = await body(c, FactoryStatusBody);
  return c.json(
    await unwrap(
      c.get("coordinator").setFactoryStatus(c.get("productId"), id, status, actorOf(principal), openerOf(c)),
    ),
  );
});

factories.post("/factories/:factoryId/capabilities/approve", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "factoryId", EntityId);
  const req = await body(c, ApproveGrantBody, true);
  return c.json(
    await unwrap(
      c.get("coordinator").approveFactoryGrant(c.get("productId"), id, req, actorOf(principal), openerOf(c)),
    ),
  );
});

factories.post("/factories/:factoryId/token/rotate", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "factoryId", EntityId);
  const productId = c.get("productId");
  const token = newToken(productId);
  // Checked again in the rotating unit: an operator token revoked since must not get the new factory token (401).
  const byToken = principal.kind === "token" ? principal.tokenId : undefined;
  const factory = await unwrap(
    c
      .get("coordinator")
      .rotateFactoryToken(productId, id, await sha256Hex(token), actorOf(principal), byToken, openerOf(c)),
  );
  return c.json({ factoryId: factory.id, token, factory });
});

factories.post("/factories/:factoryId/token/revoke", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "factoryId", EntityId);
  return c.json(
    await unwrap(c.get("coordinator").revokeFactoryToken(c.get("productId"), id, actorOf(principal), openerOf(c))),
  );
});

factories.delete("/factories/:factoryId", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "factoryId", EntityId);
  return c.json(await unwrap(c.get("coordinator").deregister(c.get("productId"), id, actorOf(principal), openerOf(c))));
});
