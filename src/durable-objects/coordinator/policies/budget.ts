/**
 * @module durable-objects/coordinator/policies/budget
 * The product budget (issue 9, part 1) in the coordinator's SQLite (`budget`, one row): set, read, pause, resume,
 * spend and roll over, each in the caller's unit (`tx.now` is the time; rules in core/budget).
 *
 * PAUSE — `settings.budgetPaused` mirrors "someone paused it" (router and waiting reason read it: `budget_paused`).
 * Exhaustion (spend ≥ ceiling) pauses and raises `budget_exhausted`; with `onExhausted: stop` it also stops the
 * running jobs (policies/budget-stop). An exhaustion pause lifts at rollover, on a higher ceiling, or on resume (then
 * the period runs over budget until its boundary: `overrun`); an operator's pause lifts only on resume.
 * ALERTS — `budget_warning` while spend ≥ 80 % of the ceiling, `budget_exhausted` while paused by exhaustion; both
 * cleared when their condition ends. Reads roll the period over too, so a stale period is never shown.
 */
import {
  addPoint,
  type BudgetPeriod,
  budgetState,
  nextPeriodStart,
  type OnExhausted,
  type ProductBudget,
  periodStartOf,
  rollover,
  shouldExhaust,
  WARN_FRACTION,
  warnAtUsd,
} from "../../../core/budget.ts";
import { NotFoundError } from "../../../core/errors.ts";
import { execute } from "../../sql-statements.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { bumpQueueVersion, getSettings, saveSettings } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { clearAlert, raiseAlert } from "./alerts.ts";
import { stopRunning } from "./budget-stop.ts";

export interface BudgetSnapshot {
  period: "day" | "week" | "month";
  ceilingUsd: number;
  spentUsd: number;
  state: "ok" | "warning" | "paused";
  /** Start of the current period, ms epoch (UTC boundary). */
  periodStart: number;
}

/** What `GET …/budget` answers: the snapshot plus the burndown and what the lines mean. */
export interface BudgetView extends BudgetSnapshot {
  onExhausted: OnExhausted;
  warnAtUsd: number;
  /** When the period rolls over, ms epoch. */
  periodEnd: number;
  pausedBy?: "operator" | "exhausted";
  burndown: Array<{ at: number; spentUsd: number }>;
}

export interface BudgetInput {
  period: BudgetPeriod;
  ceilingUsd: number;
  onExhausted: OnExhausted;
}

export function loadBudget(sql: SqlStorage): ProductBudget | undefined {
  const row = one<{ doc: string }>(sql, "SELECT doc FROM budget WHERE id = 1");
  return row ? (JSON.parse(row.doc) as ProductBudget) : undefined;
}

/** The product's budget in its current period at `tx.now`, or undefined when none is set. Read-only. */
export function budgetSnapshot(tx: Tx): BudgetSnapshot | undefined {
  const stored = loadBudget(tx.sql);
  if (!stored) return undefined;
  const b = rollover(stored, tx.now);
  return {
    period: b.period,
    ceilingUsd: b.ceilingUsd,
    spentUsd: b.spentUsd,
    state: budgetState(b),
    periodStart: b.periodStart,
  };
}

/**
 * The budget's period and its start (ms) as one text `period@start`, for runtime/alarm's NEXT_DUE_SQL: two fields,
 * not the whole document (the alarm asks after units, and the burndown is most of the row). Null with no budget.
 */
export const BUDGET_PERIOD_SQL =
  "SELECT json_extract(doc, '$.period') || '@' || json_extract(doc, '$.periodStart') FROM budget WHERE id = 1";

/** When the alarm must wake to roll the period over (ms), from BUDGET_PERIOD_SQL's `period@start`, if any. */
export function budgetBoundaryOf(periodAt: string | null): number | undefined {
  if (!periodAt) return undefined;
  const [period, start] = periodAt.split("@");
  return nextPeriodStart(period as BudgetPeriod, Number(start));
}

/**
 * Save `after` (previously `before`) and everything that follows from the change: exhaustion checked, the pause
 * mirrored into settings (queue version bumped so dispatch and waiting reasons follow), alerts raised or cleared.
 */
function commit(tx: Tx, before: ProductBudget | undefined, next: ProductBudget, keepJobId?: string): ProductBudget {
  let after = next;
  if (after.overrun && after.spentUsd < after.ceilingUsd) after = { ...after, overrun: undefined };
  if (after.pausedBy === "exhausted" && after.spentUsd < after.ceilingUsd) after = { ...after, pausedBy: undefined };
  const exhaustsNow = shouldExhaust(after);
  if (exhaustsNow) after = { ...after, pausedBy: "exhausted" };
  execute(tx.sql, "INSERT OR REPLACE INTO budget(id, doc) VALUES (1, ?)", JSON.stringify(after));
  const settings = getSettings(tx.sql);
  if (settings.budgetPaused !== Boolean(after.pausedBy)) {
    saveSettings(tx.sql, { ...settings, budgetPaused: Boolean(after.pausedBy) });
    bumpQueueVersion(tx.sql);
  }
  syncAlerts(tx, before, after);
  if (exhaustsNow && after.onExhausted === "stop") stopRunning(tx, after, keepJobId);
  return after;
}

function syncAlerts(tx: Tx, before: ProductBudget | undefined, after: ProductBudget): void {
  const warned = (b?: ProductBudget) => b !== undefined && b.spentUsd >= warnAtUsd(b);
  const exhausted = (b?: ProductBudget) => b?.pausedBy === "exhausted";
  if (warned(after) && !warned(before)) {
    raiseAlert(tx, {
      kind: "budget_warning",
      severity: "warning",
      subject: "product",
      message: `spent $${after.spentUsd.toFixed(2)} of $${after.ceilingUsd.toFixed(2)} this ${after.period} (≥ ${WARN_FRACTION * 100} %)`,
    });
  } else if (!warned(after) && warned(before)) clearAlert(tx, "budget_warning", "product");
  if (exhausted(after) && !exhausted(before)) {
    raiseAlert(tx, {
      kind: "budget_exhausted",
      severity: "critical",
      subject: "product",
      message: `budget of $${after.ceilingUsd.toFixed(2)} per ${after.period} exhausted: dispatch paused${after.onExhausted === "stop" ? ", running jobs stopped" : ""}`,
    });
  } else if (!exhausted(after) && exhausted(before)) clearAlert(tx, "budget_exhausted", "product");
}

/** The stored budget rolled over to `tx.now`'s period (saved, with its effects, when it rolled). */
export function currentBudget(tx: Tx): ProductBudget | undefined {
  const stored = loadBudget(tx.sql);
  if (!stored) return undefined;
  const rolled = rollover(stored, tx.now);
  return rolled === stored ? stored : commit(tx, stored, rolled);
}

function requireBudget(tx: Tx): ProductBudget {
  const b = currentBudget(tx);
  if (!b) throw new NotFoundError("budget of product", tx.productId);
  return b;
}

export function viewBudget(b: ProductBudget): BudgetView {
  return {
    period: b.period,
    ceilingUsd: b.ceilingUsd,
    spentUsd: b.spentUsd,
    state: budgetState(b),
    periodStart: b.periodStart,
    periodEnd: nextPeriodStart(b.period, b.periodStart),
    onExhausted: b.onExhausted,
    warnAtUsd: warnAtUsd(b),
    ...(b.pausedBy ? { pausedBy: b.pausedBy } : {}),
    burndown: b.burndown,
  };
}

/** `GET …/budget`. @throws NotFoundError when no budget is set. */
export function readBudget(tx: Tx): BudgetView {
  return viewBudget(requireBudget(tx));
}

/** `PUT …/budget` (audited `budget.set`): a new period starts counting afresh; the same period keeps its spend. */
export function setBudget(tx: Tx, input: BudgetInput, actor: string): BudgetView {
  const before = currentBudget(tx);
  const samePeriod = before?.period === input.period;
  const periodStart = samePeriod ? before.periodStart : periodStartOf(input.period, tx.now);
  const next: ProductBudget = {
    ...input,
    periodStart,
    spentUsd: samePeriod ? before.spentUsd : 0,
    ...(before?.pausedBy ? { pausedBy: before.pausedBy } : {}),
    ...(samePeriod && before.overrun ? { overrun: true } : {}),
    burndown: samePeriod ? before.burndown : [{ at: periodStart, spentUsd: 0 }],
  };
  enqueueAudit(tx, actor, "budget.set", tx.productId, {
    ...input,
    previous: before ? { period: before.period, ceilingUsd: before.ceilingUsd, onExhausted: before.onExhausted } : null,
  });
  return viewBudget(commit(tx, before, next));
}

/** `POST …/budget/pause` (audited `budget.pause`): dispatch stops until an operator resumes. */
export function pauseBudget(tx: Tx, actor: string): BudgetView {
  const before = requireBudget(tx);
  enqueueAudit(tx, actor, "budget.pause", tx.productId, { spentUsd: before.spentUsd });
  return viewBudget(commit(tx, before, { ...before, pausedBy: "operator" }));
}

/** `POST …/budget/resume` (audited `budget.resume`): dispatch resumes; over the ceiling, until the period ends. */
export function resumeBudget(tx: Tx, actor: string): BudgetView {
  const before = requireBudget(tx);
  enqueueAudit(tx, actor, "budget.resume", tx.productId, {
    spentUsd: before.spentUsd,
    pausedBy: before.pausedBy ?? null,
  });
  const overrun = before.spentUsd >= before.ceilingUsd;
  return viewBudget(commit(tx, before, { ...before, pausedBy: undefined, ...(overrun ? { overrun: true } : {}) }));
}

/**
 * Add `deltaUsd` of spend at `tx.now` (a run's report): may warn, pause and stop. No budget: nothing.
 * @param keepJobId a job a `stop` must not stop (the one whose completion report this spend came from)
 */
export function spend(tx: Tx, deltaUsd: number, keepJobId?: string): void {
  if (deltaUsd <= 0) return;
  const before = currentBudget(tx);
  if (!before) return;
  const spentUsd = before.spentUsd + deltaUsd;
  commit(tx, before, { ...before, spentUsd, burndown: addPoint(before.burndown, tx.now, spentUsd) }, keepJobId);
}
