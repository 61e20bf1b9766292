/**
 * @module core/breaker-engines
 * The engines a factory has breakers for, as an operator's breaker reset may name them: `*` (its default engine,
 * that jobs naming none run under: core/breaker DEFAULT_ENGINE) and every engine it declared — in its hello
 * (`engines`) or as an `engine:<name>` capability (declared, pending, approved or in force). A breaker has no row
 * while closed with no failures, so a reset of an engine with none read as "already closed" whether the engine was
 * healthy or never there: `claud` for `claude` answered 200 `changed: false` and the real breaker stayed open.
 */
import { DEFAULT_ENGINE } from "./breaker.ts";
import { DomainError } from "./errors.ts";

/** What a factory record says of its engines: any of these may be absent (an older record, an HTTP-only agent). */
export interface EngineDeclarations {
  engines?: readonly string[];
  capabilities?: readonly string[];
  declaredCapabilities?: readonly string[];
  pendingCapabilities?: readonly string[];
  approvedCapabilities?: readonly string[];
}

const ENGINE_CAP = "engine:";

/**
 * The engine keys a factory has: `*` first, then every engine it declared, sorted, each once.
 * @returns e.g. `["*", "claude", "codex"]`; `["*"]` for a factory that declared none
 */
export function declaredEngines(f: EngineDeclarations): string[] {
  const named = new Set<string>(f.engines ?? []);
  for (const caps of [f.capabilities, f.declaredCapabilities, f.pendingCapabilities, f.approvedCapabilities])
    for (const c of caps ?? [])
      if (c.startsWith(ENGINE_CAP) && c.length > ENGINE_CAP.length) named.add(c.slice(ENGINE_CAP.length));
  named.delete(DEFAULT_ENGINE);
  return [DEFAULT_ENGINE, ...[...named].sort()];
}

/**
 * The refusal of a reset of `engine` on factory `factoryId`, whose engines are `engines` (`declaredEngines`): 404
 * `unknown_engine`, its details `{factoryId, engine, engines}`.
 */
export function unknownEngine(factoryId: string, engine: string, engines: readonly string[]): DomainError {
  return new DomainError(
    "unknown_engine",
    `factory ${factoryId} declares no engine "${engine}" and has no breaker for it: its engines are ${engines.join(", ")}`,
    { factoryId, engine, engines: [...engines] },
  );
}
