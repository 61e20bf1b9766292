/**
 * @module core/alerts
 * The alert record and its life cycle (issue 9, part 6; seeds 000 "stall health", 002 "STUCK"), pure: the
 * coordinator's store (coordinator/policies/alerts) keeps the rows and calls these to decide each change.
 *
 * One alert per condition: alerts are deduplicated by `kind` + `subject`. Raising a condition whose alert is
 * still open or acknowledged refreshes that alert (its message and severity); raising it after its alert was
 * resolved opens a new one — a condition that comes back is a new incident, and its history stays readable.
 * Clearing resolves the live alert, if any. So under any sequence of raises and clears there is at most one
 * live (open or acknowledged) alert per kind + subject (property-tested in test/unit/alerts.test.ts).
 */
import { DomainError } from "./errors.ts";

export type AlertKind =
  | "budget_warning"
  | "budget_exhausted"
  | "job_budget_exceeded"
  | "breaker_open"
  | "factory_quarantined"
  | "factory_degraded"
  | "factory_down"
  | "stuck"
  | "starving"
  | "stalled"
  /** A webhook delivery dead-lettered after its last try, until a later one is delivered (core/webhook-failing). */
  | "webhook_failing";

export type AlertSeverity = "info" | "warning" | "critical";

export const ALERT_STATES = ["open", "acknowledged", "resolved"] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** What a policy raises: the condition (kind + subject) and how it reads now. */
export interface AlertInput {
  kind: AlertKind;
  severity: AlertSeverity;
  /** `product`, `factory:<id>`, `job:<id>`, `breaker:<factoryId>:<engine>`. */
  subject: string;
  message: string;
}

/** An alert as the API shows it. Instants are ms epoch. */
export interface Alert extends AlertInput {
  id: string;
  state: AlertState;
  openedAt: number;
  /** Last raise, acknowledgement or resolution. */
  updatedAt: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
}

/** What a change did, for the webhook (`alert.opened`, …) and the tests. `unchanged`: nothing to write. */
export type AlertChange = "opened" | "refreshed" | "unchanged" | "acknowledged" | "resolved";

export function isLive(alert: Pick<Alert, "state">): boolean {
  return alert.state !== "resolved";
}

/**
 * Raise `input` at `now` (ms) over `live`, the condition's live alert if it has one.
 * @param newId the id for an alert opened here
 * @returns the alert to store and what happened: a refresh only when message or severity changed.
 */
export function raise(
  live: Alert | undefined,
  input: AlertInput,
  now: number,
  newId: () => string,
): { alert: Alert; change: AlertChange } {
  if (live && isLive(live)) {
    if (live.message === input.message && live.severity === input.severity) return { alert: live, change: "unchanged" };
    return {
      alert: { ...live, message: input.message, severity: input.severity, updatedAt: now },
      change: "refreshed",
    };
  }
  const { kind, severity, subject, message } = input;
  return {
    alert: { id: newId(), kind, severity, subject, message, state: "open", openedAt: now, updatedAt: now },
    change: "opened",
  };
}

/** The condition cleared at `now`: the live alert resolved, or undefined when there is none to resolve. */
export function resolve(live: Alert | undefined, now: number): Alert | undefined {
  if (!live || !isLive(live)) return undefined;
  return { ...live, state: "resolved", resolvedAt: now, updatedAt: now };
}

/**
 * An operator acknowledged the alert at `now`: it stays live (the condition still holds) but is no longer news.
 * Acknowledging an acknowledged alert again changes nothing (the first acknowledgement is kept).
 * @throws DomainError `conflict` (409) — the alert is resolved already: there is nothing left to acknowledge.
 */
export function acknowledge(alert: Alert, actor: string, now: number): { alert: Alert; change: AlertChange } {
  if (alert.state === "resolved") {
    throw new DomainError("conflict", `alert ${alert.id} is resolved already; there is nothing to acknowledge`, {
      alertId: alert.id,
    });
  }
  if (alert.state === "acknowledged") return { alert, change: "unchanged" };
  return {
    alert: { ...alert, state: "acknowledged", acknowledgedAt: now, acknowledgedBy: actor, updatedAt: now },
    change: "acknowledged",
  };
}

/** Live alerts by severity (resolved ones are not counted). */
export function countLive(alerts: readonly Pick<Alert, "state" | "severity">[]): Record<AlertSeverity, number> {
  const counts: Record<AlertSeverity, number> = { info: 0, warning: 0, critical: 0 };
  for (const a of alerts) if (isLive(a)) counts[a.severity] += 1;
  return counts;
}
