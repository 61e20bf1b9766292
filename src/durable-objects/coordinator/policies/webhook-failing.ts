/**
 * @module durable-objects/coordinator/policies/webhook-failing
 * The `webhook_failing` alert's store (core/webhook-failing): raised, counted and resolved from what the webhook
 * consumer reports of a batch's lane (`recordWebhookLane`, rpc/alerts `webhookLane`), resolved too when the webhook
 * is removed (policies/webhook `deleteWebhook`). The count of deliveries dead-lettered since it opened is kept in
 * meta (WEBHOOK_FAILING_COUNT_KEY), dropped when it resolves.
 *
 * Clearing costs the consumer no call per delivery: every try already asks this coordinator for the target
 * (policies/webhook `webhookTarget`), whose answer says whether the alert is live (`failing`, read from memory once
 * known: policies/alerts `hasLiveAlertOf`); only a lane that delivered while it was live reports `{delivered: true}` —
 * one call a batch a product, and only while the alert is open.
 */
import { type WebhookLaneReport, WebhookLaneReportSchema, webhookFailingAlert } from "../../../core/webhook-failing.ts";
import { deleteMeta, getMeta, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { clearAlert, hasLiveAlertOf, raiseAlert } from "./alerts.ts";

/** Meta key: deliveries dead-lettered since the live `webhook_failing` alert opened (a decimal count). */
export const WEBHOOK_FAILING_COUNT_KEY = "webhook_failing_count";

/** Whether the `webhook_failing` alert is live (open or acknowledged): memory once known, else one read. */
export function webhookFailing(sql: SqlStorage): boolean {
  return hasLiveAlertOf(sql, "webhook_failing");
}

/** Resolves the alert, if live, and forgets its count: a delivery was taken, or there is no webhook any more. */
export function clearWebhookFailing(tx: Tx): void {
  clearAlert(tx, "webhook_failing", "product");
  if (getMeta(tx.sql, WEBHOOK_FAILING_COUNT_KEY) !== undefined) deleteMeta(tx.sql, WEBHOOK_FAILING_COUNT_KEY);
}

/**
 * One lane's report (core/webhook-failing `WebhookLaneReportSchema`, checked here: an RPC is a boundary): a delivery
 * taken resolves the alert; deliveries dead-lettered raise it (or refresh its count and last error). `host`: the
 * webhook's host for the message; with no webhook any more (removed meanwhile) nothing is raised.
 * @returns whether the alert is live after the report
 * @throws ZodError on a malformed report
 */
export function recordWebhookLane(tx: Tx, input: WebhookLaneReport, host: string | undefined): boolean {
  const report = WebhookLaneReportSchema.parse(input);
  if ("delivered" in report || host === undefined) {
    clearWebhookFailing(tx);
    return false;
  }
  const before = Number(getMeta(tx.sql, WEBHOOK_FAILING_COUNT_KEY) ?? "0");
  // A count kept while no alert is live (its resolution not seen here) is a past incident's: this one starts anew.
  const count = (webhookFailing(tx.sql) && Number.isSafeInteger(before) ? before : 0) + report.deadLettered;
  setMeta(tx.sql, WEBHOOK_FAILING_COUNT_KEY, String(count));
  raiseAlert(tx, webhookFailingAlert(count, report.lastError, host));
  return true;
}
