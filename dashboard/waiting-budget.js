/**
 * @module dashboard/waiting-budget
 * The words the job page's "Why is it waiting?" panel gives a budget pause (core/budget-pause `budgetPausedWords`),
 * and its message's instants in the page's one time format. The panel drew the pause's record by its raw keys —
 * "paused by exhausted, spent usd 0.058394, ceiling usd 0.03, period day" — and beside its own dates the message's
 * ISO instant ("12/7/26, 3:01:38 AM" and "2026-12-07T03:01:38Z" in one box).
 */
import { when } from "./format.js";
import { spendTexts, usdText } from "./usd.js";

/** Who paused (core/budget-pause `PausedBy`), in words. @type {Record<string, string>} */
const PAUSED_BY = { exhausted: "the budget running out", operator: "an operator" };

/** @param {unknown} v */
const pausedBy = (v) => (typeof v === "string" ? (PAUSED_BY[v] ?? v) : undefined);
/**
 * The spend's or the ceiling's row (`at` 0 or 1 of the pair): as the message words the pair (usd.js spendTexts) when
 * the detail holds both — drawn alone, $10.004 of $10 read "$10.00" and "$10.00" under "spent $10.004 of $10.00".
 * @param {0 | 1} at
 */
const pairUsd = (at) => (/** @type {unknown} */ v, /** @type {unknown} */ _name, /** @type {any} */ detail) => {
  if (typeof v !== "number") return undefined;
  const both = typeof detail?.spentUsd === "number" && typeof detail?.ceilingUsd === "number";
  return both ? spendTexts(detail.spentUsd, detail.ceilingUsd)[at] : usdText(v);
};

/**
 * A pause's whole record in one line, as a wait that names it after its own cause shows it (`detail.budgetPaused`):
 * "by the budget running out: $0.058 spent of $0.03 per day; the day ends 12/8/26, 1:00 AM".
 * @param {any} v
 * @returns {string | undefined} undefined for anything but a record
 */
export function budgetPauseText(v) {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const period = typeof v.period === "string" ? v.period : "period";
  const parts = [];
  if (typeof v.spentUsd === "number" && typeof v.ceilingUsd === "number") {
    const [spent, ceiling] = spendTexts(v.spentUsd, v.ceilingUsd);
    parts.push(`${spent} spent of ${ceiling} per ${period}`);
  }
  if (typeof v.periodEndsAt === "number") parts.push(`the ${period} ends ${when(v.periodEndsAt)}`);
  if (v.budget === null) parts.push("no budget is set"); // an operator's emergency stop (core/budget-pause)
  const by = pausedBy(v.pausedBy);
  return `${by ? `by ${by}` : "paused"}${parts.length ? `: ${parts.join("; ")}` : ""}`;
}

/** The pause's detail keys' values in words (dashboard/waiting WORDS). @type {Record<string, (v: any) => string | undefined>} */
export const BUDGET_WORDS = {
  budgetPaused: budgetPauseText,
  pausedBy,
  spentUsd: pairUsd(0),
  ceilingUsd: pairUsd(1),
  // An operator's pause with no budget set (core/budget-pause): "budget —" read as a budget left blank.
  budget: (/** @type {unknown} */ v) => (v === null ? "none set" : undefined),
};

/** The pause's detail keys' labels (dashboard/waiting LABELS). @type {Record<string, string>} */
export const BUDGET_LABELS = {
  budgetPaused: "Budget paused too",
  pausedBy: "Paused by",
  spentUsd: "Spent this period",
  ceilingUsd: "Ceiling",
  period: "Budget period",
  periodEndsAt: "Period ends",
};

/** An instant as core/waiting-commands `instantWords` writes it (to the second or the minute, UTC). */
const ISO_INSTANT = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z/g;

/**
 * `text` with each ISO instant in it as the page's other times (`when`): the message is the core's, shared with the
 * CLI, which prints ISO; the page prints local dates. @param {string} text
 */
export const localInstants = (text) =>
  text.replace(ISO_INSTANT, (iso) => (Number.isNaN(Date.parse(iso)) ? iso : when(Date.parse(iso))));
