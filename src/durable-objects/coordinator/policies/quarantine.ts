/**
 * @module durable-objects/coordinator/policies/quarantine
 * Quarantine on error budget (issue 9 part 4): every failed run (`failure` or `timeout`; see policies/breakers for
 * what counts) goes into its factory's sliding window (core/error-budget, table `error_budgets`); once the failures
 * in the window exceed `settings.errorBudget.maxFailures`, an `active` factory becomes `quarantined` — in the same
 * unit as the run's end, and its agent is sent a `drain` once that unit commits (factories/notices), as after an
 * operator's quarantine. The router filters non-active factories, so it gets no new work; the leases it holds run
 * on to their end (or expiry). A rate limit is not counted here: the provider throttled, the host did not fail.
 *
 * `releaseFactory` is the operator's way back: `active`, window cleared, alert resolved, audited.
 */

import { counted } from "../../../core/counted.ts";
import { type FailureWindow, overBudget, recordFailure } from "../../../core/error-budget.ts";
import { DomainError } from "../../../core/errors.ts";
import type { Factory } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { noteDrain } from "../factories/notices.ts";
import { readFactory, requireFactory, updateFactory } from "../factories/registry.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { clearAlert, raiseAlert } from "./alerts.ts";
import { recordAutoLesson } from "./lessons.ts";

function readWindow(sql: SqlStorage, factoryId: string): FailureWindow {
  const row = sql
    .exec<{ failures: string }>("SELECT failures FROM error_budgets WHERE factory_id = ?", factoryId)
    .toArray()[0];
  return row ? (JSON.parse(row.failures) as number[]) : [];
}

/** One more failed run of `factoryId` at `tx.now`; quarantines an active factory that is now over its budget. */
export function noteFactoryFailure(tx: Tx, factoryId: string): void {
  const f = readFactory(tx.sql, factoryId);
  if (!f) return; // deregistered meanwhile: nothing to keep a window for
  const budget = getSettings(tx.sql).errorBudget;
  const window = recordFailure(readWindow(tx.sql, factoryId), tx.now, budget);
  execute(
    tx.sql,
    "INSERT OR REPLACE INTO error_budgets(factory_id, failures) VALUES (?, ?)",
    factoryId,
    JSON.stringify(window),
  );
  if (f.status !== "active" || !overBudget(window, tx.now, budget)) return;
  const subject = `factory:${factoryId}`;
  const why = `more than ${counted(budget.maxFailures, "failed run")} within ${budget.windowMinutes} min`;
  // Quarantined, with why, in one write of its record; its agent hears it as it does an operator's quarantine (rpc/fleet
  // `setFactoryStatus`): a `drain`, after the commit (factories/notices).
  noteDrain(tx, factoryId, `quarantined: ${why}`);
  raiseAlert(tx, {
    kind: "factory_quarantined",
    severity: "critical",
    subject,
    // The command first, as webhook_failing's alert names its own (the route for a script that has no CLI).
    message: `factory ${f.name} (${factoryId}) was quarantined: ${why}; release it with \`gigafactory factory release ${factoryId}\` (POST …/factories/${factoryId}/release)`,
  });
  enqueueAudit(tx, "system", "factory.quarantine", factoryId, { failures: window.length, ...budget });
  recordAutoLesson(tx, {
    trigger: "quarantine",
    subject,
    text: `Factory ${f.name} was quarantined after ${why}; check its host (disk, credentials, engine install).`,
  });
}

/** The failures in a factory's window (capped, core/error-budget), for views and tests. */
export function errorWindowOf(sql: SqlStorage, factoryId: string): FailureWindow {
  return readWindow(sql, factoryId);
}

/**
 * An operator returns a quarantined factory to `active`: its error window is cleared (the old failures must not
 * quarantine it again at the next one) and the `factory_quarantined` alert resolved. Audited `factory.release`.
 * `into`: the status (and its reason) it is released into instead — `draining` (factories/admin `setFactoryStatus`),
 * in the same one write of its record.
 * @throws NotFoundError — no such factory; DomainError conflict — it is not quarantined.
 */
export function releaseFactory(
  tx: Tx,
  factoryId: string,
  actor: string,
  into: Pick<Factory, "status" | "statusReason"> = { status: "active" },
): Factory {
  const f = requireFactory(tx.sql, factoryId, tx.now);
  if (f.status !== "quarantined") {
    throw new DomainError("conflict", `factory ${factoryId} is ${f.status}, not quarantined: nothing to release`, {
      factoryId,
      factoryStatus: f.status, // not `status`: that member is the problem's HTTP status (RFC 9457)
    });
  }
  execute(tx.sql, "DELETE FROM error_budgets WHERE factory_id = ?", factoryId);
  clearAlert(tx, "factory_quarantined", `factory:${factoryId}`);
  enqueueAudit(tx, actor, "factory.release", factoryId);
  return updateFactory(tx, factoryId, into);
}
