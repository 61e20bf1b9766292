/**
 * @module durable-objects/coordinator/policies/breaker-alerts
 * A `breaker_open` alert follows its breaker through half-open (SPEC §6: closed / open / half-open).
 *   why:    the alert is raised when the breaker trips ("open until T") and resolved when a run closes it, but
 *           half-open is never stored — it is `openUntil ≤ now` (core/breaker `breakerState`) — so nothing rewrote
 *           the alert when T passed: at T + 5 min it still said "open until T" while `factories` said half-open.
 *   when:   each alarm pass (the alarm wakes at the earliest `openUntil`: runtime/alarm `NEXT_HALF_OPEN_SQL`).
 *   output: each live `breaker_open` alert whose breaker is now half-open gets the half-open message (a refresh
 *           of the open alert: no new alert, no webhook); one already saying so is left alone (no write). A breaker
 *           that opens again (its trial failed) is re-raised by policies/breakers with its new "open until".
 */
import { breakerState } from "../../../core/breaker.ts";
import { instantWords } from "../../../core/waiting-commands.ts";
import { factoryLabel } from "../factories/registry.ts";
import type { Tx } from "../runtime/tx.ts";
import { liveAlertsOf, raiseAlert } from "./alerts.ts";
import { readBreaker } from "./breakers.ts";

/** Bounded like every alert read: a product has at most factories × engines breakers. */
const MAX_BREAKER_ALERTS = 500;

/** The alert text of a half-open breaker, from the instant (ms epoch) its cool-down ended; `factory` as factoryLabel. */
export function halfOpenMessage(engine: string, factory: string, since: number): string {
  return (
    `engine ${engine}'s breaker on factory ${factory} is half-open since ${instantWords(since)}: one trial run ` +
    "is let through; a success closes the breaker (and resolves this alert), a failure opens it again"
  );
}

/** `breaker:<factoryId>:<engine>` → its parts (a factory id has no colon; an engine name may). */
function parseSubject(subject: string): { factoryId: string; engine: string } | undefined {
  if (!subject.startsWith("breaker:")) return undefined;
  const rest = subject.slice("breaker:".length);
  const at = rest.indexOf(":");
  return at <= 0 ? undefined : { factoryId: rest.slice(0, at), engine: rest.slice(at + 1) };
}

/** Rewrites the live `breaker_open` alerts whose breaker is half-open at `tx.now` (see the module note). */
export function refreshHalfOpenAlerts(tx: Tx): void {
  for (const alert of liveAlertsOf(tx.sql, "breaker_open", MAX_BREAKER_ALERTS)) {
    const key = parseSubject(alert.subject);
    if (!key) continue;
    const breaker = readBreaker(tx.sql, key.factoryId, key.engine);
    if (breaker.openUntil === undefined || breakerState(breaker, tx.now) !== "half_open") continue;
    const message = halfOpenMessage(key.engine, factoryLabel(tx.sql, key.factoryId), breaker.openUntil);
    if (alert.message === message) continue;
    raiseAlert(tx, { kind: "breaker_open", severity: alert.severity, subject: alert.subject, message });
  }
}
