/**
 * @module durable-objects/coordinator/policies/alerts
 * CONTRACT (issue 9) — the one way any policy raises or clears an alert, inside its own unit. Budgets, breakers,
 * quarantine and the health checks call these; the alerts part owns the table, the dedupe by kind + subject, the
 * automatic resolution and the webhook delivery.
 *
 * Subjects, by convention: `product`, `factory:<id>`, `job:<id>`, `breaker:<factoryId>:<engine>`.
 */
import type { Tx } from "../runtime/tx.ts";

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
  | "stalled";

export type AlertSeverity = "info" | "warning" | "critical";

export interface AlertInput {
  kind: AlertKind;
  severity: AlertSeverity;
  subject: string;
  message: string;
}

/** Open (or refresh) the alert for `kind` + `subject`; a second raise of an open one changes only its message. */
export function raiseAlert(_tx: Tx, _alert: AlertInput): void {
  // Filled in by the alerts part.
}

/** Resolve the open alert for `kind` + `subject`, if any: its condition cleared. */
export function clearAlert(_tx: Tx, _kind: AlertKind, _subject: string): void {
  // Filled in by the alerts part.
}

/** How many alerts are open (not resolved; acknowledged ones included), by severity (read by the metrics part). */
export function openAlertCounts(_tx: Tx): Record<AlertSeverity, number> {
  return { info: 0, warning: 0, critical: 0 };
}
