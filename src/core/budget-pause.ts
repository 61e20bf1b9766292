/**
 * @module core/budget-pause
 * A `budget_paused` wait in words (core/waiting-queued), the step the `budget_exhausted` alert names, and what
 * `gigafactory budget` says to do next (`budgetNextStep`). It read the same for an operator's pause and for exhaustion, with no spend, no limit and no end, and
 * it hid a wait the pause does not cause: a job no factory could run read `budget_paused`, then, once resumed,
 * `no_capable_factory` (`alsoPaused` names both, the fleet's cause first), and a serial key an operator froze as well
 * (`alsoFrozen`: named after the pause). Pure: `now` is never read.
 */
import { type BudgetPeriod, overCeiling, type PausedBy } from "./budget.ts";
import { spendTexts } from "./usd-text.ts";
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
 * What lifts an operator's pause over an exhausted budget — one resume lifts the operator's only, exhaustion's stays —
 * as the `next` line, the waiting job and the `budget_exhausted` alert all say it (the alert and the wait said
 * "`gigafactory budget resume` runs on over it", and that resume left dispatch paused by exhaustion).
 */
export function bothPausedFix(p: Pick<BudgetPause, "period" | "periodEnd">): string {
  return `\`gigafactory budget resume\` lifts the operator's pause only: the budget is spent too, and exhaustion's pause stays — ${exhaustedFix(p)}`;
}

/** The budget as `budgetNextStep` reads it: the fields of its view (shared/api-budget `BudgetView`). */
export interface BudgetStepView {
  /** The pause `resume` lifts first (an operator's, else exhaustion's); absent when nothing is paused. */
  pausedBy?: string;
  /** Exhaustion pauses too, whoever else paused; undefined from a coordinator that does not say (older ones). */
  exhausted?: boolean;
  /** ok | warning | paused | overrun. */
  state: string;
  period: BudgetPeriod;
  /** When the period ends, ms epoch (UTC boundary). */
  periodEnd: number;
  /** USD. */
  spentUsd: number;
  /** USD. */
  ceilingUsd: number;
}

/**
 * What to do next about the budget, as `gigafactory budget` prints it on its `next` line: what lifts the pause in
 * force — with an operator's pause over an exhausted budget, that `resume` lifts the operator's only (it said "lifts
 * the pause", and the exhaustion pause stayed); over a ceiling an operator chose to run past, that dispatch then
 * runs on over it — and, running over the ceiling unpaused (`overrun`), until when and how to stop it. Undefined
 * when nothing is paused and the spend is under the ceiling.
 */
export function budgetNextStep(b: BudgetStepView): string | undefined {
  const resume = "`gigafactory budget resume`";
  const runsOn = `until the ${b.period} ends at ${instantWords(b.periodEnd)} or \`gigafactory budget set ${b.period} CEILING_USD\` raises the ceiling above the spend`;
  if (b.pausedBy === "exhausted") return exhaustedFix(b);
  if (b.pausedBy === "operator") {
    if (b.exhausted === true) return bothPausedFix(b);
    if (!overCeiling(b)) return `${resume} lifts the pause`;
    // Over the ceiling and not exhausted: an operator ran this period past it (overrun) before pausing.
    if (b.exhausted === false) return `${resume} lifts the pause; dispatch then runs on over the ceiling ${runsOn}`;
    return `${resume} lifts the operator's pause; over the ceiling, exhaustion may still pause dispatch — \`gigafactory budget\` then says`;
  }
  if (b.state === "overrun")
    return `dispatch runs on over the ceiling ${runsOn}; \`gigafactory budget pause\` stops it`;
  return undefined;
}

/**
 * The message and detail of a `budget_paused` wait: who paused, the spend against the ceiling, and what ends it.
 * `null`: an operator's pause with no budget set (coordinator policies/budget-unset) — no spend, no ceiling, no
 * period; detail `{pausedBy: "operator", budget: null}` (it read "`gigafactory budget set` raises a spent ceiling").
 * `undefined` (a caller that read no budget): the general words, which assume neither a spend nor a ceiling.
 * `detail.until` (ms epoch): the period's end when that alone lifts the pause (exhaustion's, not an operator's); the
 * dashboard reads the job again then.
 */
export function budgetPausedWords(pause: BudgetPause | null | undefined): {
  message: string;
  detail: Record<string, unknown>;
} {
  if (pause === null) {
    return {
      message:
        "dispatch is paused by an operator, and no budget is set (this pause has no ceiling or period) — " +
        "`gigafactory budget resume` lifts the pause",
      detail: { pausedBy: "operator", budget: null },
    };
  }
  if (!pause) {
    return {
      message: "the product's budget is paused — `gigafactory budget` says who paused it and what lifts the pause",
      detail: {},
    };
  }
  const [spent, ceiling] = spendTexts(pause.spentUsd, pause.ceilingUsd);
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
  const message = pause.exhausted
    ? `the product's budget is paused by an operator, and spent (${spend}) — ${bothPausedFix(pause)}`
    : `the product's budget is paused by an operator (${spend} spent) — \`gigafactory budget resume\` lifts the pause`;
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
