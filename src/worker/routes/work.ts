/**
 * @module worker/routes/work
 * What a factory does over HTTP: claim, fenced patch, lease renew/release and
 * heartbeat. Every call names the factory by its token, never by a parameter,
 * so one factory cannot act as another.
 */
import { Hono } from "hono";
import { DomainError, unwrap } from "../../core/errors.ts";
import { EntityId, HeartbeatBody } from "../../shared/api.ts";
import { ClaimBody, PatchJobBody, ReleaseBody, RenewBody } from "../../shared/api-work.ts";
import { type AppEnv, factoryIdOf, openerOf } from "../auth.ts";
import { body, noQuery, param } from "../validate.ts";

export const work = new Hono<AppEnv>();

/** The factory WebSocket: authenticated here, then handed to the product's coordinator. */
work.get("/factories/connect", async (c) => {
  const factoryId = factoryIdOf(c);
  noQuery(c);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new DomainError(
      "upgrade_required",
      "this endpoint needs a WebSocket upgrade (Upgrade: websocket; protocol v1)",
    );
  }
  // Only headers we set reach the coordinator: a client cannot pick its own factory id.
  const headers = new Headers({
    upgrade: "websocket",
    "x-gf-factory-id": factoryId,
    "x-gf-product-id": c.get("productId"),
    // The hello is refused unless this is still the factory's token (a rotation may commit in between).
    "x-gf-token-hash": c.get("tokenHash"),
  });
  for (const h of [
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-protocol",
    "sec-websocket-extensions",
  ]) {
    const v = c.req.header(h);
    if (v) headers.set(h, v);
  }
  return c.get("coordinator").fetch(new Request("https://coordinator/connect", { headers }));
});

work.post("/claim", async (c) => {
  const factoryId = factoryIdOf(c);
  noQuery(c);
  const { leaseTtlSeconds } = await body(c, ClaimBody, true);
  const claimed = await unwrap(c.get("coordinator").claim(c.get("productId"), factoryId, leaseTtlSeconds, openerOf(c)));
  if (!claimed) return c.body(null, 204);
  return c.json(claimed);
});

work.patch("/jobs/:jobId", async (c) => {
  const factoryId = factoryIdOf(c);
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  const patch = await body(c, PatchJobBody);
  return c.json(await unwrap(c.get("coordinator").patch(c.get("productId"), factoryId, id, patch, openerOf(c))));
});

work.post("/jobs/:jobId/lease/renew", async (c) => {
  const factoryId = factoryIdOf(c);
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  const b = await body(c, RenewBody);
  return c.json(
    await unwrap(
      c.get("coordinator").renew(c.get("productId"), factoryId, id, b.leaseEpoch, b.leaseTtlSeconds, openerOf(c)),
    ),
  );
});

work.post("/jobs/:jobId/lease/release", async (c) => {
  const factoryId = factoryIdOf(c);
  noQuery(c);
  const id = param(c, "jobId", EntityId);
  const b = await body(c, ReleaseBody);
  return c.json(
    await unwrap(c.get("coordinator").release(c.get("productId"), factoryId, id, b.leaseEpoch, openerOf(c))),
  );
});

work.post("/factories/heartbeat", async (c) => {
  const factoryId = factoryIdOf(c);
  noQuery(c);
  const b = await body(c, HeartbeatBody, true);
  return c.json(await unwrap(c.get("coordinator").heartbeat(c.get("productId"), factoryId, b, openerOf(c))));
});
