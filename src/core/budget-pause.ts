/**
 * @module core/budget-pause
 * A `budget_paused` wait in words (core/waiting-queued), and the step the `budget_exhausted` alert and `gigafactory
 * budget` name. It read the same for an operator's pause and for exhaustion, with no spend, no limit and no end, and
 * it hid a wait the pause does not cause: a job no factory could run read `budget_paused`, then, once resumed,
 * `no_capable_factory` (`alsoPaused` names both, the fleet's cause first), and a serial key an operator froze as well
 * (`alsoFrozen`: named after the pause). Pure: `now` is never read.
 */
import type { BudgetPeriod, PausedBy } from "./budget.ts";
import { usdTexts } from "./usd-text.ts";
import { instantWords } from "./waiting-commands.ts";
import type { WaitingReason } from "./waiting-reason.ts";

/** The pause in force as the waiting view reads it (coordinator policies/budget-pause-view). */
export interface BudgetPause {
  /** Who paused: an operator (until resumed) or exhaustion (until the period ends or the ceiling is raised). */
  pausedBy: PausedBy;
  /** Exhaustion pauses too (spend at the ceiling, no overrun chosen): an operator's resume leaves that pause. */
  exhausted: boolean;
  period: BudgetPeriod;
  /** USD. */
  spentUsd: number;
  /** USD. */
  ceilingUsd: number;
  /** When the period ends and an exhaustion pause lifts, ms epoch (UTC boundary). */
  periodEnd: number;
}

/** How an exhaustion pause ends: the period's end, a higher ceiling, or a resume that runs on over it. */
export function exhaustedFix(p: Pick<BudgetPause, "period" | "periodEnd">): string {
  return (
    `it lifts when the ${p.period} ends at ${instantWords(p.periodEnd)}; ` +
    `\`gigafactory budget set ${p.period} CEILING_USD\` raises the ceiling, ` +
    "`gigafactory budget resume` runs on over it"
  );
}

/**
 * The message and detail of a `budget_paused` wait: who paused, the spend against the ceiling, and what ends it.
 * Without `pause` (a caller that read no budget) the general words. `detail.until` (ms epoch): the period's end
 * when that alone lifts the pause (exhaustion's, not an operator's); the dashboard reads the job again then.
 */
export function budgetPausedWords(pause: BudgetPause | undefined): {
  message: string;
  detail: Record<string, unknown>;
} {
  if (!pause) {
    return {
      message:
        "the product's budget is paused — `gigafactory budget` says why; `gigafactory budget resume` lifts the pause, " +
        "or `gigafactory budget set` raises a spent ceiling",
      detail: {},
    };
  }
  const [spent, ceiling] = usdTexts([pause.spentUsd, pause.ceilingUsd]);
  const spend = `${spent} of ${ceiling} per ${pause.period}`;
  const detail = {
    pausedBy: pause.pausedBy,
    spentUsd: pause.spentUsd,
    ceilingUsd: pause.ceilingUsd,
    period: pause.period,
    periodEndsAt: pause.periodEnd, // "At": the job page shows it as an instant (dashboard/waiting valueText)
    ...(pause.pausedBy === "exhausted" ? { until: pause.periodEnd } : {}),
  };
  if (pause.pausedBy === "exhausted") {
    return { message: `the product's budget is spent (${spend}): dispatch is paused — ${exhaustedFix(pause)}`, detail };
  }
  const resume = "`gigafactory budget resume` lifts the pause";
  const message = pause.exhausted
    ? `the product's budget is paused by an operator, and spent (${spend}) — ${resume}; then ${exhaustedFix(pause)}`
    : `the product's budget is paused by an operator (${spend} spent) — ${resume}`;
  return { message, detail };
}

/**
 * A job the fleet could not run with the budget open either: the fleet's reason first (what the resume would still
 * leave), the pause named after it and kept in `detail.budgetPaused`.
 */
export function alsoPaused(fleet: WaitingReason, paused: WaitingReason): WaitingReason {
  return {
    ...fleet,
    message: `${fleet.message}; and ${paused.message}`,
    detail: { ...fleet.detail, budgetPaused: paused.detail },
  };
}

/**
 * A `budget_paused` wait (or the fleet's, `alsoPaused`) of a job whose serial key an operator froze too: the key is
 * named after it (`; and serial key K is frozen — \`gigafactory serial unfreeze K\` lets its jobs run`) and kept in
 * `detail.serialKeyFrozen` (the freeze's own detail: {serialKey, frozenAt?: ms epoch}). The pause came first and hid it: an operator who lifted
 * the pause found the job still waiting, for a reason it had never been told. Without a freeze (`frozen` undefined or
 * any other code), `reason` as it is.
 */
export function alsoFrozen(reason: WaitingReason, frozen: WaitingReason | undefined): WaitingReason {
  if (frozen?.code !== "serial_key_frozen") return reason;
  return {
    ...reason,
    message: `${reason.message}; and ${frozen.message}`,
    detail: { ...reason.detail, serialKeyFrozen: frozen.detail },
  };
}
