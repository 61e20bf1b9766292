/**
 * @module core/error-budget
 * A factory's error budget (issue 9 part 4; seed 002 "error budgets"): the failed runs of one factory within a
 * sliding window of `windowMinutes`; more than `maxFailures` of them quarantine the factory. Pure, `now` in ms.
 *
 * Memory is bounded: the window keeps only failure instants still inside it, and at most `maxFailures + 1` of
 * them (the newest) — enough to tell "over budget" from "not", which is the only question asked of it. So the
 * count it reports is the true count in the window capped at `maxFailures + 1`.
 */
import type { ErrorBudgetSettings } from "./settings.ts";

/** Failure instants (ms epoch), oldest first. */
export type FailureWindow = readonly number[];

export function windowMs(s: ErrorBudgetSettings): number {
  return s.windowMinutes * 60_000;
}

/**
 * Instants inside the window ending at `now`: those with `now − at < window` (an instant exactly `window` old is out).
 * An instant after `now` counts too: it was recorded by a clock that has since stepped back (a coordinator moved to
 * another host), and the failure did happen — dropping it would let a failing factory escape its quarantine.
 */
export function inWindow(w: FailureWindow, now: number, s: ErrorBudgetSettings): number[] {
  const from = now - windowMs(s);
  return w.filter((at) => at > from);
}

/**
 * The window after one more failure at `now`: stale instants dropped, the new one added, the newest
 * `maxFailures + 1` kept.
 * @throws RangeError — `now` is not a finite number.
 */
export function recordFailure(w: FailureWindow, now: number, s: ErrorBudgetSettings): number[] {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite ms epoch, got ${now}`);
  const kept = [...inWindow(w, now, s), now].sort((a, b) => a - b);
  return kept.slice(Math.max(0, kept.length - (s.maxFailures + 1)));
}

/** Failures in the window at `now` (capped at `maxFailures + 1`, see the module note). */
export function failuresInWindow(w: FailureWindow, now: number, s: ErrorBudgetSettings): number {
  return inWindow(w, now, s).length;
}

/** True when the failures in the window exceed the budget: the factory is to be quarantined. */
export function overBudget(w: FailureWindow, now: number, s: ErrorBudgetSettings): boolean {
  return failuresInWindow(w, now, s) > s.maxFailures;
}
