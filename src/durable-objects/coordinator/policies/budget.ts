/**
 * @module durable-objects/coordinator/policies/budget
 * The product budget (issue 9, part 1) in the coordinator's SQLite (`budget`, one row): set, read, pause, resume,
 * spend and roll over, each in the caller's unit (`tx.now` is the time; rules in core/budget).
 *
 * PAUSE — `settings.budgetPaused` mirrors "someone paused it" (router and waiting reason read it: `budget_paused`).
 * Exhaustion (spend ≥ ceiling, in micro-dollars) is a fact of its own, whoever else paused: when it begins it pauses,
 * raises `budget_exhausted` and, with `onExhausted: stop`, stops the running jobs (policies/budget-stop) — under an
 * operator's pause too. It lifts at rollover or on a ceiling above the spend. `resume` lifts one pause: an
 * operator's if there is one (an exhausted budget then stays paused, by exhaustion), else exhaustion's — a
 * deliberate choice to run the rest of the period over the ceiling (`overrun`). A new period carries the spend over
 * (core/budget `applyRule`). What is read without writing — the view, snapshot, waiting pause, alarm boundary —
 * is policies/budget-view.
 * ALERTS — `budget_warning` while spend ≥ 80 % of the ceiling, `budget_exhausted` while the spend is over it: its
 * message says dispatch is paused, or, after a resume, that it goes on over the ceiling by an operator's choice;
 * both cleared when their condition ends (their texts, and when a change rewrites them: core/budget-alerts). Reads
 * roll the period over too, so a stale period is never shown. With no budget set, an operator's pause is
 * `settings.budgetPaused` alone (policies/budget-unset), carried into the first budget set.
 */
import {
  addPoint,
  addUsd,
  applyRule,
  type BudgetPeriod,
  exhausts,
  type OnExhausted,
  overCeiling,
  type ProductBudget,
  pausedByOf,
  rollover,
  toMicros,
} from "../../../core/budget.ts";
import { budgetAlertSteps } from "../../../core/budget-alerts.ts";
import { addEstimated } from "../../../core/price-estimate.ts";
import { addUnpriced } from "../../../core/unpriced.ts";
import type { UnbudgetedPause } from "../../../shared/api-budget.ts";
import { execute } from "../../sql-statements.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { bumpQueueVersion, getSettings, saveSettings, settingsToChange } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { clearAlert, raiseAlert } from "./alerts.ts";
import { type StopScope, stopRunning } from "./budget-stop.ts";
import { noBudgetError, pausedUnset, setUnsetPause } from "./budget-unset.ts";
import { type BudgetView, loadBudget, viewBudget } from "./budget-view.ts";

export interface BudgetInput {
  period: BudgetPeriod;
  ceilingUsd: number;
  onExhausted: OnExhausted;
}

/**
 * Save `after` (previously `before`) and everything that follows from the change: exhaustion recomputed from spend
 * and ceiling (whoever paused), the pause mirrored into settings (queue version bumped so dispatch and waiting
 * reasons follow), alerts raised or cleared, and running jobs stopped when exhaustion begins under `stop`.
 */
function commit(tx: Tx, before: ProductBudget | undefined, next: ProductBudget, scope?: StopScope): ProductBudget {
  const { overrun, exhausted: _, ...rest } = next;
  const over = overrun && overCeiling(next); // an overrun ends once the spend is back under the ceiling
  const after: ProductBudget = { ...rest, ...(over ? { overrun: true } : {}) };
  if (exhausts(after)) after.exhausted = true;
  execute(tx.sql, "INSERT OR REPLACE INTO budget(id, doc) VALUES (1, ?)", JSON.stringify(after));
  const paused = pausedByOf(after) !== undefined;
  const settings = settingsToChange(tx.sql);
  if (settings.budgetPaused !== paused) {
    saveSettings(tx.sql, { ...settings, budgetPaused: paused });
    bumpQueueVersion(tx.sql);
  }
  syncAlerts(tx, before, after);
  // Stop when exhaustion begins under `stop`, or when `stop` is chosen for a budget already exhausted (it was a pause).
  const stopBegins = !before?.exhausted || before.onExhausted !== "stop";
  if (after.exhausted && after.onExhausted === "stop" && stopBegins) stopRunning(tx, after, scope);
  return after;
}

/** The budget alerts as the change from `before` to `after` leaves them (core/budget-alerts). */
function syncAlerts(tx: Tx, before: ProductBudget | undefined, after: ProductBudget): void {
  const { warning, exhausted } = budgetAlertSteps(before, after);
  if (warning === "clear") clearAlert(tx, "budget_warning", "product");
  else if (warning)
    raiseAlert(tx, { kind: "budget_warning", severity: "warning", subject: "product", message: warning.raise });
  if (exhausted === "clear") clearAlert(tx, "budget_exhausted", "product");
  else if (exhausted) {
    raiseAlert(tx, { kind: "budget_exhausted", severity: "critical", subject: "product", message: exhausted.raise });
  }
}

/**
 * The stored budget rolled over to `tx.now`'s period — saved, with its effects, when it rolled or when its saved
 * exhaustion is not what spend and ceiling say (a document from before exhaustion was a fact of its own).
 */
export function currentBudget(tx: Tx): ProductBudget | undefined {
  const stored = loadBudget(tx.sql);
  if (!stored) return undefined;
  const rolled = rollover(stored, tx.now);
  if (rolled === stored && Boolean(stored.exhausted) === exhausts(stored)) return stored;
  return commit(tx, stored, rolled);
}

/**
 * Whether dispatch is paused at `tx.now` (the claim, the push pass, the route context's filter and waiting words, the
 * metrics): `settings.budgetPaused`, with the budget rolled over first while it says paused. That flag mirrors the
 * pause as the last unit saved it, and past a period's boundary an exhaustion pause has ended before the boundary's
 * alarm runs — or, that alarm lost, the minute's cron sweep: a claim then was refused 204 while `GET …/budget` (which
 * rolls over itself) said `ok`. Not paused: one settings read, no budget read.
 */
export function dispatchPaused(tx: Tx): boolean {
  if (!getSettings(tx.sql).budgetPaused) return false;
  currentBudget(tx); // saves the rolled-over budget and its mirror when the period has ended
  return getSettings(tx.sql).budgetPaused;
}

/** A pause's or resume's answer: the budget and `changed`, or with none set the operator's pause alone. */
type Acted = (BudgetView & { changed: boolean }) | UnbudgetedPause;

/** `GET …/budget`. @throws DomainError not_found when no budget is set (policies/budget-unset `noBudgetError`). */
export function readBudget(tx: Tx): BudgetView {
  const b = currentBudget(tx);
  if (!b) throw noBudgetError(tx);
  return viewBudget(b);
}

/**
 * `PUT …/budget` (audited `budget.set`): the same period keeps its spend; a new one carries it over (core/budget
 * `applyRule`), the audit saying how much.
 */
export function setBudget(tx: Tx, input: BudgetInput, actor: string): BudgetView {
  const before = currentBudget(tx);
  const ruled = applyRule(before, input, tx.now);
  // A first budget keeps an operator's pause set without one (policies/budget-unset): a ceiling never lifts a stop.
  const next: ProductBudget = !before && pausedUnset(tx) ? { ...ruled, pausedBy: "operator" } : ruled;
  enqueueAudit(tx, actor, "budget.set", tx.productId, {
    ...input,
    previous: before ? { period: before.period, ceilingUsd: before.ceilingUsd, onExhausted: before.onExhausted } : null,
    ...(before && before.period !== input.period ? { carriedUsd: next.spentUsd } : {}),
  });
  return viewBudget(commit(tx, before, next));
}

/**
 * `POST …/budget/pause` (audited `budget.pause`): dispatch stops until an operator resumes — with no budget set too
 * (policies/budget-unset). Already paused by an operator: nothing written or audited (`changed: false`).
 */
export function pauseBudget(tx: Tx, actor: string): Acted {
  const before = currentBudget(tx);
  if (!before) return setUnsetPause(tx, true, actor);
  if (before.pausedBy === "operator") return { ...viewBudget(before), changed: false };
  enqueueAudit(tx, actor, "budget.pause", tx.productId, { spentUsd: before.spentUsd });
  return { ...viewBudget(commit(tx, before, { ...before, pausedBy: "operator" })), changed: true };
}

/**
 * `POST …/budget/resume` (audited `budget.resume`): lifts one pause — an operator's if any (over the ceiling, the
 * budget stays paused by exhaustion and says so), else exhaustion's: the period then runs over its ceiling until it
 * rolls over or the spend is under the ceiling again. Not paused: nothing written or audited (`changed: false`).
 */
export function resumeBudget(tx: Tx, actor: string): Acted {
  const before = currentBudget(tx);
  if (!before) return setUnsetPause(tx, false, actor);
  const lifted = pausedByOf(before);
  if (!lifted) return { ...viewBudget(before), changed: false };
  enqueueAudit(tx, actor, "budget.resume", tx.productId, { spentUsd: before.spentUsd, pausedBy: lifted });
  const { pausedBy: _, ...rest } = before;
  const next: ProductBudget = lifted === "exhausted" ? { ...before, overrun: true } : rest;
  return { ...viewBudget(commit(tx, before, next)), changed: true };
}

/**
 * Change the period's unpriced tokens by `delta` (a run's figure's change: policies/unpriced-spend), kept within
 * core/unpriced `addUnpriced`'s bounds. Shown, never charged: the spend, the alerts and the pause stay as they are.
 * No budget: nothing.
 */
export function countUnpriced(tx: Tx, delta: number): void {
  if (delta === 0) return;
  const before = currentBudget(tx);
  if (!before) return;
  const after: ProductBudget = { ...before, unpricedTokens: addUnpriced(before.unpricedTokens, delta) };
  execute(tx.sql, "INSERT OR REPLACE INTO budget(id, doc) VALUES (1, ?)", JSON.stringify(after));
}

/**
 * Add `deltaUsd` of spend at `tx.now` (a run's report), in micro-dollars: may warn, pause and stop. No budget:
 * nothing. @param scope what the reporting job asks of a stop (policies/budget-stop `StopScope`)
 * @param estimatedDeltaUsd how much of the period's spend is now an estimate more (or, a USD having replaced one,
 *   less) — policies/estimate-spend; kept as `estimatedUsd` within 0…spent (core/price-estimate `addEstimated`)
 */
export function spend(tx: Tx, deltaUsd: number, scope?: StopScope, estimatedDeltaUsd = 0): void {
  const charges = toMicros(deltaUsd) > 0;
  if (!charges && toMicros(estimatedDeltaUsd) === 0) return;
  const before = currentBudget(tx);
  if (!before) return;
  const spentUsd = charges ? addUsd(before.spentUsd, deltaUsd) : before.spentUsd;
  const { estimatedUsd: was, ...rest } = before;
  const estimatedUsd = addEstimated(was, estimatedDeltaUsd, spentUsd);
  const burndown = charges ? addPoint(before.burndown, tx.now, spentUsd) : before.burndown;
  commit(tx, before, { ...rest, spentUsd, ...(estimatedUsd > 0 ? { estimatedUsd } : {}), burndown }, scope);
}
