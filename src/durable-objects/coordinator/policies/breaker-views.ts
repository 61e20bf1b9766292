/**
 * @module durable-objects/coordinator/policies/breaker-views
 * The circuit breakers as an operator reads them (policies/breakers stores them): `BreakerView` per factory × engine
 * — its state at `now`, failures in a row, and while open when it goes half-open — for `GET …/breakers`, the metrics,
 * each factory's `breakers` in `GET …/factories`, and the answer of a reset (policies/breaker-reset).
 */
import { breakerState } from "../../../core/breaker.ts";
import type { Tx } from "../runtime/tx.ts";
import type { BreakerRow } from "./breaker-reads.ts";
import { toBreaker } from "./breakers.ts";

/** One breaker as the factories list, explain and the metrics show it. */
export interface BreakerView {
  factoryId: string;
  engine: string;
  state: "closed" | "open" | "half_open";
  consecutiveFailures: number;
  /** When an open breaker goes half-open, ms epoch (open only). */
  openUntil?: number;
}

/**
 * The rows a list shows: not plainly closed with no failures. A reset breaker whose overridden trial is still out
 * keeps its row for that ref only (policies/breakers `writeBreaker`): it is closed and clean, so it is not listed.
 */
const SHOWN = "(open_until IS NOT NULL OR consecutive_failures > 0)";

/** One row as the lists show it at `now` (ms epoch): `openUntil` only while open. */
export const toView = (r: BreakerRow, now: number): BreakerView => {
  const b = toBreaker(r);
  const state = breakerState(b, now);
  const view: BreakerView = {
    factoryId: r.factory_id,
    engine: r.engine,
    state,
    consecutiveFailures: b.consecutiveFailures,
  };
  if (state === "open" && b.openUntil !== undefined) view.openUntil = b.openUntil;
  return view;
};

/** Every breaker that is not plainly closed with no failures, at `tx.now` (read by the metrics part). */
export function listBreakers(tx: Tx): BreakerView[] {
  return tx.sql
    .exec<BreakerRow>(`SELECT * FROM breakers WHERE ${SHOWN} ORDER BY factory_id, engine`)
    .toArray()
    .map((r) => toView(r, tx.now));
}

/** The breakers of one factory, as `GET …/factories` shows them (`factoryId` left out: the factory holds them). */
export function breakersOf(sql: SqlStorage, factoryId: string, now: number): Omit<BreakerView, "factoryId">[] {
  return sql
    .exec<BreakerRow>(`SELECT * FROM breakers WHERE factory_id = ? AND ${SHOWN} ORDER BY engine`, factoryId)
    .toArray()
    .map((r) => {
      const { factoryId: _f, ...view } = toView(r, now);
      return view;
    });
}
