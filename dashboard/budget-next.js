/**
 * @module dashboard/budget-next
 * The budget page's next step (budget.js, under the spend): what lifts the pause in force, or how long dispatch runs
 * over the ceiling — true in every case, as `gigafactory budget` says it (core/budget-pause `budgetNextStep`), in the
 * page's own words (its Resume and Pause buttons, its form's ceiling) — for a viewer, whose page draws none of them
 * (role.js), with whom to ask. An operator's pause over an exhausted budget
 * (the answer's `exhausted` beside `pausedBy: "operator"`) is lifted by Resume alone, and exhaustion's stays: the page
 * said only "paused (by an operator)", and a Resume left it paused. Also since when the spend counts (`spentSinceText`).
 */

import { utcBoundary } from "./format.js";

/** Micro-dollars, as the coordinator compares spend and ceiling (core/budget `overCeiling`). @param {number} usd */
const micros = (usd) => Math.round(usd * 1_000_000);

/**
 * @param {{ pausedBy?: string | null, exhausted?: boolean, state: string, period: string, periodEnd: number,
 *   spentUsd: number, ceilingUsd: number }} b the budget as GET …/budget answers it (`exhausted` absent from an older
 *   coordinator: not guessed at)
 * @param {boolean} [acts] the role has the page's Pause, Resume and Set budget (role.js `can(role, "operator")`); a
 *   viewer's page draws none of them, so it is told whom to ask instead of a button it does not have
 * @returns {string} one sentence, or "" when nothing is paused and the spend is under the ceiling
 */
export function budgetNextStep(b, acts = true) {
  const step = stepFor(b);
  return step === "" || acts ? step : `${step} ${ASK}`;
}

/** What a viewer can do about a step that names an operator's buttons: ask one. */
const ASK = "Resume, Pause and Set budget are an operator's: ask an operator.";

/** @param {Parameters<typeof budgetNextStep>[0]} b */
function stepFor(b) {
  const end = `the ${b.period} ends at ${utcBoundary(b.periodEnd)}`;
  const lifts = `it lifts when ${end}, or with a higher ceiling; Resume runs on over it`;
  const runsOn = `until ${end} or the ceiling is raised above the spend`;
  if (b.pausedBy === "exhausted") return `Paused because the budget is spent: ${lifts}.`;
  if (b.pausedBy === "operator") {
    if (b.exhausted === true)
      return `Resume lifts the operator's pause only: the budget is spent too, and exhaustion's pause stays — ${lifts}.`;
    if (micros(b.spentUsd) < micros(b.ceilingUsd)) return "Resume lifts the pause.";
    // Over the ceiling and not exhausted: an operator ran this period past it (overrun) before pausing.
    if (b.exhausted === false) return `Resume lifts the pause; dispatch then runs on over the ceiling ${runsOn}.`;
    return "Resume lifts the operator's pause; over the ceiling, exhaustion may still pause dispatch.";
  }
  if (b.state === "overrun") return `Dispatch runs on over the ceiling ${runsOn}; Pause stops it.`;
  return "";
}

/** Why the count starts when it does, in the words `gigafactory budget` uses (core/budget-since). */
const SINCE_CAUSE = {
  period_start: "period start",
  budget_set: "budget set; runs before it are not counted",
  carried_over: "counted under the previous period and carried over",
};

/**
 * Since when the spend counts (core/budget-since `spentSinceWords`), in UTC to the second: "counted since
 * 2026-12-07T14:05:00Z (budget set; …)", "; budget changed at …" after it; "" from an older coordinator.
 * @param {{ spentSince?: number, spentSinceCause?: string, changedAt?: number }} b
 */
export function spentSinceText(b) {
  if (typeof b.spentSince !== "number" || !b.spentSinceCause) return "";
  const utc = (/** @type {number} */ at) => `${new Date(at).toISOString().slice(0, 19)}Z`;
  const cause = Object.hasOwn(SINCE_CAUSE, b.spentSinceCause)
    ? SINCE_CAUSE[/** @type {keyof typeof SINCE_CAUSE} */ (b.spentSinceCause)]
    : b.spentSinceCause;
  const changed = typeof b.changedAt === "number" ? `; budget changed at ${utc(b.changedAt)}` : "";
  return `counted since ${utc(b.spentSince)} (${cause})${changed}`;
}
