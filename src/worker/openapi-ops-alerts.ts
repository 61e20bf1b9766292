/**
 * @module worker/openapi-ops-alerts
 * The alerts, health and webhook operations of the OpenAPI document (issue 9, parts 5–6; worker/routes/alerts).
 */

import { RECORD_MAX_BYTES } from "../core/record-bounds.ts";
import { WEBHOOK_LAST_TRY, WEBHOOK_TIMEOUT_MS, webhookRetryWindowSeconds } from "../core/webhook-signature.ts";
import {
  AlertListQuery,
  AlertPageSchema,
  AlertSchema,
  ProductHealthSchema,
  WEBHOOK_SECRET_MAX_BYTES,
  WEBHOOK_SECRET_MIN_BYTES,
  WebhookBodySchema,
  WebhookDeletedSchema,
  WebhookViewSchema,
} from "../shared/api-alerts.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

/** What setting and reading the webhook answer: the same view, never its secret. */
const WEBHOOK_VIEW = { "200": json("The webhook (never its secret)", WebhookViewSchema) };

export const ALERTS_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/alerts`,
    operationId: "listAlerts",
    summary: "Alerts, newest first",
    description:
      "Alerts, newest first: {alerts: [{id, kind, severity, subject, message, openedAt, state: open|acknowledged|" +
      "resolved, updatedAt, acknowledgedAt?, acknowledgedBy?, resolvedAt?}], nextCursor?}. One live alert per " +
      "kind + subject; resolved automatically when its condition clears. Kinds: budget_warning, budget_exhausted, " +
      "job_budget_exceeded, breaker_open, factory_quarantined, factory_degraded, factory_down, stuck, starving, " +
      `stalled, and webhook_failing (warning, subject product): a webhook delivery failed all ${WEBHOOK_LAST_TRY} ` +
      "tries and is a dead letter — its message counts them, names the last error and the receiver's host; resolved " +
      "by the next delivery the receiver takes, or by removing the webhook",
    role: "viewer",
    query: AlertListQuery,
    ok: { "200": json("A page of alerts", AlertPageSchema) },
  },
  {
    method: "post",
    path: `${P}/alerts/{alertId}/ack`,
    operationId: "acknowledgeAlert",
    summary: "Acknowledge an alert (idempotent)",
    description:
      "Acknowledge an alert (idempotent): it stays live until its condition clears. Audited (alert.ack); 404 for " +
      "an unknown id, 409 conflict once resolved",
    role: "operator",
    ok: { "200": json("The alert, acknowledged", AlertSchema) },
  },
  {
    method: "get",
    path: `${P}/health`,
    operationId: "getProductHealth",
    summary: "The product's health: healthy, degraded or stalled, and why",
    description:
      "The product's health: {status: healthy|degraded|stalled, checkedAt, factories: {ok, degraded, down, left, disconnected}, " +
      "openAlerts: {info, warning, critical, total}, lastFinishedAt, oldestQueuedAt, queued, inBackoff, building, " +
      "thresholds}; lastFinishedAt is when a job last reached shipped (a job built and waiting in review or testing " +
      "has not finished). stalled: nothing shipped for 2 × expectedFinishIntervalMinutes while work waits — a job waiting " +
      "out a retry's backoff (counted in inBackoff) waits from its end, as for starving; degraded: a warning or " +
      "critical alert is open, or a factory is degraded or down (a disconnected one alone does not make it degraded: " +
      "its heartbeats decide, so a reconnect within seconds does not flap it)",
    role: "viewer",
    ok: { "200": json("The product's health now", ProductHealthSchema) },
  },
  {
    method: "put",
    path: `${P}/webhook`,
    operationId: "setWebhook",
    summary: "Set the product's webhook: a URL and a signing secret",
    description:
      "Set the product's webhook {url (https; http only for 127.0.0.1, localhost, [::1]), secret (at least " +
      `${WEBHOOK_SECRET_MIN_BYTES} and at most ${WEBHOOK_SECRET_MAX_BYTES} bytes of UTF-8)}: ` +
      "every alert change and job stage change is POSTed as JSON, signed X-Gigafactory-Signature: sha256=<hex> = " +
      'HMAC-SHA256(secret, <X-Gigafactory-Timestamp> + "." + <raw body>), with X-Gigafactory-Delivery and the same ' +
      "deliveryId in the body: dedupe on the body's, which the signature covers (the header it does not); at least once, retried with backoff, so out of order: each body's `seq` increases " +
      "with every change of the product — apply a delivery only if its `seq` is above the last one you applied for " +
      "that job (or alert), so a retried older stage change is ignored. " +
      `A 2xx answer within ${WEBHOOK_TIMEOUT_MS / 1000} s delivers it; any other answer, a redirect (never followed) ` +
      `or none is a failed try: ${WEBHOOK_LAST_TRY} tries over at most about ${Math.round(webhookRetryWindowSeconds() / 60)} ` +
      "minutes of jittered backoff, then a dead letter (GET …/dead-letters), and a webhook_failing alert is open " +
      "until a later delivery is taken (it is not itself sent to the webhook, whose receiver is what fails: the " +
      "alerts list, the health and the metrics show it). A 429 or 503 with Retry-After (seconds " +
      "or an HTTP-date, honoured up to an hour) is waited out instead, and holds back the product's later deliveries " +
      "of that batch; so does a try with no answer: they go back unsent, each counting a try but never its last. " +
      "A body is at most " +
      `${RECORD_MAX_BYTES.webhook / 1024} KiB of JSON: a larger one is cut, marked truncated: {bytes}. ` +
      "Audited (webhook.set). Answers {url, " +
      "updatedAt, updatedBy, hasSecret} — never the secret",
    role: "operator",
    body: WebhookBodySchema,
    ok: WEBHOOK_VIEW,
  },
  {
    method: "get",
    path: `${P}/webhook`,
    operationId: "getWebhook",
    summary: "The webhook, never its secret",
    description: "The webhook {url, updatedAt, updatedBy, hasSecret: true} — never the secret; 404 when none is set",
    role: "operator",
    ok: WEBHOOK_VIEW,
  },
  {
    method: "delete",
    path: `${P}/webhook`,
    operationId: "deleteWebhook",
    summary: "Remove the webhook: no further deliveries",
    description:
      "Remove the webhook: no further deliveries (queued ones are dropped unsent); a live webhook_failing alert is " +
      "resolved. Audited (webhook.delete)",
    role: "operator",
    ok: { "200": json("Deleted", WebhookDeletedSchema) },
  },
];
