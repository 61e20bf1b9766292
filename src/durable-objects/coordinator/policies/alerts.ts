/**
 * @module durable-objects/coordinator/policies/alerts
 * CONTRACT (issue 9) — the one way any policy raises or clears an alert, inside its own unit. Budgets, breakers,
 * quarantine and the health checks call these; this module owns the `alerts` table, the dedupe by kind + subject
 * (core/alerts; a partial unique index keeps at most one live row per pair), the automatic resolution and the
 * webhook record of each change (outbox/webhook-records), committed in the caller's unit.
 *
 * Subjects, by convention: `product`, `factory:<id>`, `job:<id>`, `breaker:<factoryId>:<engine>`.
 */
import {
  type Alert,
  type AlertChange,
  type AlertInput,
  type AlertSeverity,
  type AlertState,
  acknowledge,
  raise,
  resolve,
} from "../../../core/alerts.ts";
import { NotFoundError } from "../../../core/errors.ts";
import { execute, withLimit } from "../../sql-statements.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { enqueueWebhook } from "../outbox/webhook-records.ts";
import { newId, one, type Tx } from "../runtime/tx.ts";

export type { AlertInput, AlertKind, AlertSeverity } from "../../../core/alerts.ts";

function liveAlert(sql: SqlStorage, kind: string, subject: string): Alert | undefined {
  const row = one<{ doc: string }>(
    sql,
    "SELECT doc FROM alerts WHERE kind = ? AND subject = ? AND state <> 'resolved'",
    kind,
    subject,
  );
  return row ? (JSON.parse(row.doc) as Alert) : undefined;
}

/**
 * Per handle, whether each alert kind may have a live alert (memory only). Most clears are of alerts never raised
 * (every move out of building or the queue clears `stuck` and `starving`): with no live alert of the kind, a clear
 * reads nothing. Unknown → one read for the kind; writing a live alert marks its kind; a resolution, or any
 * rollback (runtime/units `forgetAlertKinds`), makes it unknown again — so a stale "none" is never trusted.
 */
const liveKinds = new WeakMap<SqlStorage, Map<string, boolean>>();

function mayHaveLive(sql: SqlStorage, kind: string): boolean {
  let kinds = liveKinds.get(sql);
  if (!kinds) {
    kinds = new Map();
    liveKinds.set(sql, kinds);
  }
  let live = kinds.get(kind);
  if (live === undefined) {
    live = one(sql, "SELECT 1 AS x FROM alerts WHERE kind = ? AND state <> 'resolved' LIMIT 1", kind) !== undefined;
    kinds.set(kind, live);
  }
  return live;
}

/**
 * Whether an alert of `kind` is live (open or acknowledged) in this product: from memory once known, else one read.
 * For a kind whose only subject is `product` (`webhook_failing`) that is whether its alert is live.
 */
export function hasLiveAlertOf(sql: SqlStorage, kind: AlertInput["kind"]): boolean {
  return mayHaveLive(sql, kind);
}

/** Forget what `mayHaveLive` knows: a rollback may have undone a write it saw (runtime/units). */
export function forgetAlertKinds(sql: SqlStorage): void {
  liveKinds.delete(sql);
}

function save(tx: Tx, alert: Alert, change: AlertChange): Alert {
  if (change === "unchanged") return alert;
  if (alert.state === "resolved") liveKinds.get(tx.sql)?.delete(alert.kind);
  else liveKinds.get(tx.sql)?.set(alert.kind, true);
  execute(
    tx.sql,
    `INSERT INTO alerts(id, kind, subject, state, severity, opened_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET state = excluded.state, severity = excluded.severity, doc = excluded.doc`,
    alert.id,
    alert.kind,
    alert.subject,
    alert.state,
    alert.severity,
    alert.openedAt,
    JSON.stringify(alert),
  );
  // A refresh is the same incident re-read: receivers hear of opening, acknowledgement and resolution — except of
  // `webhook_failing`, which is about the receiver itself: its `alert.opened` went to the receiver that fails, and
  // became one more dead letter per incident in the very list the alert sends the operator to (core/webhook-failing).
  if (change !== "refreshed" && alert.kind !== "webhook_failing")
    enqueueWebhook(tx, `alert.${change}`, { alert: { ...alert } });
  return alert;
}

/** Open (or refresh) the alert for `kind` + `subject`; a second raise of an open one changes only its message. */
export function raiseAlert(tx: Tx, alert: AlertInput): void {
  const { alert: next, change } = raise(liveAlert(tx.sql, alert.kind, alert.subject), alert, tx.now, () =>
    newId("al", tx.now),
  );
  save(tx, next, change);
}

/** Resolve the open alert for `kind` + `subject`, if any: its condition cleared. */
export function clearAlert(tx: Tx, kind: AlertInput["kind"], subject: string): void {
  if (!mayHaveLive(tx.sql, kind)) return;
  const done = resolve(liveAlert(tx.sql, kind, subject), tx.now);
  if (done) save(tx, done, "resolved");
}

/** How many alerts are open (not resolved; acknowledged ones included), by severity (read by the metrics part). */
export function openAlertCounts(tx: Tx): Record<AlertSeverity, number> {
  const counts: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
  const rows = tx.sql
    .exec<{ severity: AlertSeverity; n: number }>(
      "SELECT severity, COUNT(*) AS n FROM alerts WHERE state <> 'resolved' GROUP BY severity",
    )
    .toArray();
  for (const r of rows) if (r.severity in counts) counts[r.severity] = r.n;
  return counts;
}

/** The live alerts of one kind (health-check resolves those whose condition cleared), oldest first, bounded. */
export function liveAlertsOf(sql: SqlStorage, kind: AlertInput["kind"], limit: number): Alert[] {
  if (!mayHaveLive(sql, kind)) return []; // the alarm asks every pass: most passes have none of the kind
  return sql
    .exec<{ doc: string }>(
      withLimit(
        "SELECT doc FROM alerts WHERE kind = ? AND state <> 'resolved' ORDER BY opened_at, id LIMIT {limit}",
        limit,
      ),
      kind,
    )
    .toArray()
    .map((r) => JSON.parse(r.doc) as Alert);
}

export interface AlertPage {
  alerts: Alert[];
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor?: string;
}

/**
 * The statement of one page (`{limit}` to fill): newest first, of one state if `byState` (its first `?`), after the
 * cursor if `afterCursor` (the next). One statement per case, not `(?1 IS NULL OR state = ?1)`: with the ORs SQLite
 * walked the whole table in id order to find a state's few rows — every resolved alert of 30 days read for each
 * `GET …/alerts?state=open`, which the dashboard asks every 15 s. By state it reads alerts_by_state_id, a range.
 */
export function alertPageSql(byState: boolean, afterCursor: boolean): string {
  const where = [byState ? "state = ?" : "", afterCursor ? "id < ?" : ""].filter(Boolean).join(" AND ");
  return `SELECT id, doc FROM alerts ${where ? `WHERE ${where} ` : ""}ORDER BY id DESC LIMIT {limit}`;
}

/**
 * Alerts newest first, optionally of one state, paged by keyset (`cursor` is the last id of the previous page;
 * ids sort in creation order, runtime/tx `newId`).
 */
export function listAlerts(sql: SqlStorage, q: { state?: AlertState; cursor?: string; limit: number }): AlertPage {
  const statement = withLimit(alertPageSql(q.state !== undefined, q.cursor !== undefined), q.limit + 1);
  const args = [q.state, q.cursor].filter((v) => v !== undefined);
  const rows = sql.exec<{ id: string; doc: string }>(statement, ...args).toArray();
  const page = rows.slice(0, q.limit).map((r) => JSON.parse(r.doc) as Alert);
  return rows.length > q.limit ? { alerts: page, nextCursor: page[page.length - 1]?.id } : { alerts: page };
}

/**
 * ACKNOWLEDGE — an operator saw the alert: `acknowledged` (stays live until its condition clears), audited as
 * `alert.ack`. Idempotent. Throws NotFoundError (404) for an unknown id, DomainError `conflict` (409) if resolved.
 */
export function ackAlert(tx: Tx, id: string, actor: string): Alert {
  const row = one<{ doc: string }>(tx.sql, "SELECT doc FROM alerts WHERE id = ?", id);
  if (!row) throw new NotFoundError("alert", id);
  const { alert, change } = acknowledge(JSON.parse(row.doc) as Alert, actor, tx.now);
  if (change !== "unchanged")
    enqueueAudit(tx, actor, "alert.ack", `alert:${id}`, { kind: alert.kind, subject: alert.subject });
  return save(tx, alert, change);
}
