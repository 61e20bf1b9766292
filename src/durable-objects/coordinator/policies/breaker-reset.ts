/**
 * @module durable-objects/coordinator/policies/breaker-reset
 * An operator closes a factory × engine circuit breaker (core/breaker `resetBreaker`): the engine is known fixed (its
 * login renewed, a rate limit lifted), so its jobs need not wait out a cool-down that doubles on each failed trial.
 *   input:  the factory, the engine key (`*` for the default), the actor; `tx.now`.
 *   guard:  the factory exists (404 otherwise); the engine is one it declared (core/breaker-engines) or has a breaker
 *           row for — else 404 `unknown_engine` naming its engines: no row reads the same for a healthy engine and a
 *           mistyped one, and a typo answered "already closed" while the real breaker stayed open. A breaker already closed with no failures (no row) is a no-op —
 *           `changed: false`, nothing written, audited or woken — as `POST …/release` of an active factory is: two
 *           operators resetting at once, or a retry, both get the state they asked for, not a 409.
 *   output: the breaker closed and clean (a trial out kept as overridden, and the reset's instant while a run granted
 *           before it is out: their ends count nowhere — core/breaker `resetAt`), its `breaker_open`
 *           alert resolved (metrics, the fleet and `GET …/breakers` read the table, so they see it closed), audited
 *           `breaker.reset` with what it was; a breaker that held jobs (open or half-open) bumps the queue version,
 *           so the unit asks for a dispatch pass and held jobs go out at once (runtime/units `onMoved`).
 */
import { type BreakerState, breakerState, resetBreaker } from "../../../core/breaker.ts";
import { declaredEngines, type EngineDeclarations, unknownEngine } from "../../../core/breaker-engines.ts";
import { requireFactory } from "../factories/registry.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { bumpQueueVersion } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { clearAlert } from "./alerts.ts";
import { runOutBefore } from "./breaker-reset-runs.ts";
import type { BreakerView } from "./breaker-views.ts";
import { readBreaker, sameBreaker, writeBreaker } from "./breakers.ts";

/** What a reset answers: the breaker's view now (always closed, no failures) and whether anything changed. */
export type BreakerResetView = BreakerView & { changed: boolean };

/**
 * Resets the breaker of `factoryId` × `engine` (engine key: a name, or `*`) in `tx`, by `actor` (see the module note).
 * @returns the breaker's view now — `{factoryId, engine, state: "closed", consecutiveFailures: 0, changed}`
 * @throws NotFoundError — no such factory. DomainError unknown_engine — an engine it never declared, with no breaker.
 */
export function resetFactoryBreaker(tx: Tx, factoryId: string, engine: string, actor: string): BreakerResetView {
  const factory: EngineDeclarations = requireFactory(tx.sql, factoryId, tx.now); // its stored `engines` too
  const engines = declaredEngines(factory);
  // An engine dropped from its declarations keeps the breaker it had: resettable while the row is there.
  const kept = (): boolean =>
    one(tx.sql, "SELECT 1 AS x FROM breakers WHERE factory_id = ? AND engine = ?", factoryId, engine) !== undefined;
  if (!engines.includes(engine) && !kept()) throw unknownEngine(factoryId, engine, engines);
  const prev = readBreaker(tx.sql, factoryId, engine);
  const view: BreakerView = { factoryId, engine, state: "closed", consecutiveFailures: 0 };
  if (sameBreaker(prev, resetBreaker(prev, prev.resetAt))) return { ...view, changed: false };
  // Runs granted before now are about the engine as it was: kept out of its counts while any is out.
  const next = resetBreaker(prev, runOutBefore(tx.sql, factoryId, engine, tx.now) ? tx.now : undefined);
  const from: BreakerState = breakerState(prev, tx.now);
  writeBreaker(tx.sql, factoryId, engine, next);
  const subject = `breaker:${factoryId}:${engine}`;
  clearAlert(tx, "breaker_open", subject);
  enqueueAudit(tx, actor, "breaker.reset", subject, {
    from,
    consecutiveFailures: prev.consecutiveFailures,
    ...(from === "open" && prev.openUntil !== undefined ? { openUntil: prev.openUntil } : {}),
    ...(prev.coolDownSeconds !== undefined ? { coolDownSeconds: prev.coolDownSeconds } : {}),
    ...(prev.trial ? { overriddenTrial: prev.trial } : {}),
  });
  // Open or half-open, it kept jobs of its engine off the factory (or held them): a pass may place them now.
  if (from !== "closed") bumpQueueVersion(tx.sql);
  return { ...view, changed: true };
}
