/**
 * @module durable-objects/coordinator/policies/budget-unset
 * An operator's pause with no budget set (SPEC §6): an emergency stop must not wait for a ceiling. `budget pause`
 * with none set was `not_found: budget of product demo does not exist`, and dispatch ran on.
 *
 * Stored as `settings.budgetPaused` alone — the flag router, claim and waiting reason already read (the mirror
 * policies/budget keeps of a budget's pause) — with no budget row: there is no spend, ceiling or period to keep. A
 * budget set later carries the pause (`pausedBy: "operator"`), so setting a ceiling never lifts a stop; a resume
 * lifts it. Both audited `budget.pause` / `budget.resume` (`budget: null`), both bump the queue version so dispatch
 * and waiting reasons follow at once.
 */
import { DomainError } from "../../../core/errors.ts";
import type { UnbudgetedPause } from "../../../shared/api-budget.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { bumpQueueVersion, getSettings, saveSettings, settingsToChange } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";

/** Whether an operator paused dispatch with no budget set (read when no budget row exists). */
export function pausedUnset(tx: Tx): boolean {
  return getSettings(tx.sql).budgetPaused;
}

/** Pause (`paused` true) or resume with no budget set; already so: nothing written or audited (`changed: false`). */
export function setUnsetPause(tx: Tx, paused: boolean, actor: string): UnbudgetedPause {
  const settings = settingsToChange(tx.sql);
  const answer = (changed: boolean): UnbudgetedPause => ({
    budget: null,
    ...(paused ? { pausedBy: "operator" as const } : {}),
    changed,
  });
  if (settings.budgetPaused === paused) return answer(false);
  enqueueAudit(tx, actor, paused ? "budget.pause" : "budget.resume", tx.productId, {
    budget: null,
    ...(paused ? {} : { pausedBy: "operator" }),
  });
  saveSettings(tx.sql, { ...settings, budgetPaused: paused });
  bumpQueueVersion(tx.sql);
  return answer(true);
}

/**
 * `GET …/budget` with none set: the 404 it always was (`what: "budget of product"`: the CLI and scripts read "no
 * budget" by it), saying — and, in `pausedBy`, giving — an operator's pause in force, which it hid.
 */
export function noBudgetError(tx: Tx): DomainError {
  const what = "budget of product";
  const missing = `${what} ${tx.productId} does not exist`;
  if (!pausedUnset(tx)) return new DomainError("not_found", missing, { what, id: tx.productId });
  return new DomainError(
    "not_found",
    `${missing}; dispatch is paused by an operator — \`gigafactory budget resume\` lifts the pause`,
    { what, id: tx.productId, pausedBy: "operator" },
  );
}
