/**
 * @module worker/routes/alerts
 * Alerts, product health and the webhook (issue 9, parts 5–6):
 * `GET …/alerts` (viewer; `?state=open|acknowledged|resolved`, keyset-paged), `POST …/alerts/{id}/ack` (operator,
 * audited `alert.ack`), `GET …/health` (viewer; `{status: healthy|degraded|stalled, checkedAt, factories, openAlerts,
 * lastFinishedAt, …}`), and `PUT`/`GET`/`DELETE …/webhook` (operator; PUT and DELETE audited). No answer ever holds
 * the webhook secret: the coordinator's webhook view has no such field.
 */
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { AlertIdParam, AlertListQuery, WebhookBodySchema } from "../../shared/api-alerts.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { body, noBody, noQuery, param, query } from "../validate.ts";

export const alerts = new Hono<AppEnv>();

alerts.get("/alerts", async (c) => {
  requireRole(c, "viewer");
  const q = query(c, AlertListQuery);
  return c.json(await unwrap(c.get("coordinator").listAlerts(c.get("productId"), q)));
});

alerts.post("/alerts/:alertId/ack", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "alertId", AlertIdParam);
  return c.json(await unwrap(c.get("coordinator").ackAlert(c.get("productId"), id, actorOf(principal), openerOf(c))));
});

alerts.get("/health", async (c) => {
  requireRole(c, "viewer");
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").productHealth(c.get("productId"))));
});

alerts.put("/webhook", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  const target = await body(c, WebhookBodySchema);
  // The token asking, checked again in the coordinator's unit: one revoked meanwhile sets no URL and secret.
  const byToken = principal.kind === "token" ? principal.tokenId : undefined;
  const coordinator = c.get("coordinator");
  return c.json(
    await unwrap(coordinator.setWebhook(c.get("productId"), target, actorOf(principal), byToken, openerOf(c))),
  );
});

alerts.get("/webhook", async (c) => {
  requireRole(c, "operator");
  noQuery(c);
  return c.json(await unwrap(c.get("coordinator").getWebhook(c.get("productId"))));
});

alerts.delete("/webhook", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  return c.json(await unwrap(c.get("coordinator").deleteWebhook(c.get("productId"), actorOf(principal), openerOf(c))));
});
