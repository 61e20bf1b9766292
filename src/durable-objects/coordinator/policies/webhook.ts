/**
 * @module durable-objects/coordinator/policies/webhook
 * A product's optional webhook target (issue 9, part 6), kept in `meta`: `{url, secret}`. Setting and removing it
 * are operator actions, audited (`webhook.set`, `webhook.delete`) — the audit names the URL's origin only
 * (`webhookUrlOrigin`), never its path, query or the secret: viewers read the audit log, and many receivers (Slack,
 * Discord, Teams) take their secret in the URL, which only operators may read (`GET …/webhook`).
 * The secret leaves the coordinator only towards the webhook consumer (`webhookTarget`), which signs with it;
 * every answer to the API is the public view (`WebhookView`), which has no secret field at all.
 */
import { NotFoundError } from "../../../core/errors.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { WEBHOOK_META_KEY } from "../outbox/webhook-records.ts";
import { deleteMeta, getMeta, setMeta } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { clearWebhookFailing, webhookFailing } from "./webhook-failing.ts";

export interface WebhookTarget {
  url: string;
  secret: string;
}

interface StoredWebhook extends WebhookTarget {
  updatedAt: number;
  updatedBy: string;
}

/** What the API shows of the webhook. */
export interface WebhookView {
  url: string;
  updatedAt: number;
  updatedBy: string;
  /** Always true when a webhook exists: says a secret is set without showing it. */
  hasSecret: true;
}

function read(sql: SqlStorage): StoredWebhook | undefined {
  const raw = getMeta(sql, WEBHOOK_META_KEY);
  return raw ? (JSON.parse(raw) as StoredWebhook) : undefined;
}

function view(w: StoredWebhook): WebhookView {
  return { url: w.url, updatedAt: w.updatedAt, updatedBy: w.updatedBy, hasSecret: true };
}

/**
 * What the audit log and the Worker's logs show of a webhook URL: its origin, and `/…` when it has a path, query or
 * fragment — which for many receivers holds their secret. `https://hooks.slack.com/services/T/B/X` →
 * `https://hooks.slack.com/…`.
 */
export function webhookUrlOrigin(url: string): string {
  if (!URL.canParse(url)) return "(not a URL)";
  const u = new URL(url);
  return `${u.origin}/${u.pathname !== "/" || u.search !== "" || u.hash !== "" ? "…" : ""}`;
}

/**
 * What the webhook consumer reads before each try: the target, and whether the `webhook_failing` alert is live —
 * so that only a lane delivering while it is live reports back to resolve it (policies/webhook-failing).
 */
export interface WebhookTargetAnswer extends WebhookTarget {
  failing: boolean;
}

/** For the webhook consumer only: where to POST, what to sign with, and `failing`; null when there is no webhook. */
export function webhookTarget(sql: SqlStorage): WebhookTargetAnswer | null {
  const w = read(sql);
  return w ? { url: w.url, secret: w.secret, failing: webhookFailing(sql) } : null;
}

/** The webhook's host (`host:port`) as the `webhook_failing` alert names it; undefined when none is set. */
export function webhookHost(sql: SqlStorage): string | undefined {
  const w = read(sql);
  if (!w) return undefined;
  return URL.canParse(w.url) ? new URL(w.url).host : "(not a URL)";
}

/** The public view. Throws NotFoundError (404) when no webhook is set. */
export function getWebhook(sql: SqlStorage): WebhookView {
  const w = read(sql);
  if (!w) throw new NotFoundError("webhook", "of this product");
  return view(w);
}

/** SET WEBHOOK — replaces any previous target; from the next change on, deliveries go there. Audited. */
export function setWebhook(tx: Tx, target: WebhookTarget, actor: string): WebhookView {
  const previous = read(tx.sql);
  const next: StoredWebhook = { ...target, updatedAt: tx.now, updatedBy: actor };
  setMeta(tx.sql, WEBHOOK_META_KEY, JSON.stringify(next));
  enqueueAudit(tx, actor, "webhook.set", "webhook", {
    url: webhookUrlOrigin(target.url),
    ...(previous
      ? {
          previousUrl: webhookUrlOrigin(previous.url),
          urlChanged: previous.url !== target.url,
          secretChanged: previous.secret !== target.secret,
        }
      : {}),
  });
  return view(next);
}

/**
 * DELETE WEBHOOK — no more deliveries are recorded; ones already queued are acked unsent by the consumer (no
 * target to send to); a live `webhook_failing` alert is resolved. Audited. Throws NotFoundError (404) when none is set.
 */
export function deleteWebhook(tx: Tx, actor: string): { deleted: true } {
  const w = read(tx.sql);
  if (!w) throw new NotFoundError("webhook", "of this product");
  deleteMeta(tx.sql, WEBHOOK_META_KEY);
  // Nothing is delivered any more, so nothing can fail: a `webhook_failing` alert would otherwise stay open for good.
  clearWebhookFailing(tx);
  enqueueAudit(tx, actor, "webhook.delete", "webhook", { url: webhookUrlOrigin(w.url) });
  return { deleted: true };
}
