/**
 * @module durable-objects/coordinator/policies/breakers
 * CONTRACT (issue 9) — circuit breakers per factory × engine, as the router and the run history see them.
 * `noteRunOutcome` is called for every run that ends (jobs/runs `finishRun`), in that unit; `openBreakerKeys`
 * feeds the router's filter (dispatch/claim `routeContext`). The breakers part fills both in.
 */
import type { Run } from "../../../shared/responses.ts";
import type { Tx } from "../runtime/tx.ts";

/** A run ended (`run.result` set): count it against its factory × engine breaker (and the error budget). */
export function noteRunOutcome(_tx: Tx, _run: Run): void {
  // Filled in by the breakers part.
}

/** `${factoryId}:${engine}` of every breaker that is open at `tx.now` (half-open ones with a trial out count too). */
export function openBreakerKeys(_tx: Tx): ReadonlySet<string> {
  return new Set();
}

/** One breaker as the factories list, explain and the metrics show it. */
export interface BreakerView {
  factoryId: string;
  engine: string;
  state: "closed" | "open" | "half_open";
  consecutiveFailures: number;
  /** When an open breaker goes half-open, ms epoch (open only). */
  openUntil?: number;
}

/** Every breaker that is not plainly closed with no failures, at `tx.now` (read by the metrics part). */
export function listBreakers(_tx: Tx): BreakerView[] {
  return [];
}
