/**
 * @module worker/openapi-ops-breakers
 * The circuit-breaker and quarantine operations of the OpenAPI document (issue 9, parts 3–4).
 */
import { BreakerListSchema, BreakerResetSchema } from "../shared/api-metrics.ts";
import { FactoryChangedSchema } from "../shared/api-responses.ts";
import { type Op, P } from "./openapi-ops.ts";
import { json } from "./openapi-schemas.ts";

export const BREAKER_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/breakers`,
    operationId: "listBreakers",
    summary: "Every circuit breaker that is not plainly closed with no failures",
    description:
      "Every circuit breaker per factory × engine that is not plainly closed with no failures: {breakers: [{factoryId, " +
      "engine, state: closed|open|half_open, consecutiveFailures, openUntil?}]} (engine * = the factory's default " +
      "engine, for jobs that name none). GET …/factories shows the same per factory as `breakers`",
    role: "viewer",
    ok: { "200": json("The breakers, by factory then engine", BreakerListSchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/release`,
    operationId: "releaseFactory",
    summary: "Return a factory quarantined by its error budget to active",
    description:
      "Return a factory quarantined by its error budget to active: its failure window is cleared, the " +
      "factory_quarantined alert resolved and a dispatch pass offers it queued work. Audited (factory.release). " +
      "An active factory is already what a release makes it: `changed: false`, nothing written or audited. " +
      "404 for an unknown factory; 409 conflict for one draining or revoked (`factoryStatus` names which: a " +
      "release would not make it active — POST …/status active does, for a draining one)",
    role: "operator",
    ok: { "200": json("The factory, active again (or already: `changed: false`)", FactoryChangedSchema) },
  },
  {
    method: "post",
    path: `${P}/factories/{factoryId}/breakers/{engine}/reset`,
    operationId: "resetBreaker",
    summary: "Close one circuit breaker of a factory now: its engine is known fixed",
    description:
      "Close the circuit breaker of one factory × engine at once (engine * = the factory's default engine): its " +
      "failures in a row and its cool-down ladder are cleared, its breaker_open alert resolved, and a dispatch pass " +
      "offers the jobs it held. A trial run still out, and every run granted before the reset, is overridden: its " +
      "end no longer moves the breaker nor counts " +
      "against the factory's error budget (a rate limit it reports with a stated wait still opens the breaker until " +
      "then). Audited " +
      "(breaker.reset, with the state it had). A breaker closed with no failures already (or no breaker of that " +
      "declared engine) is 200 with `changed: false`, nothing written or audited. 404 for an unknown factory; 404 " +
      "unknown_engine for an engine the factory never declared and has no breaker for (`engines` lists its own, * " +
      "first). No body",
    role: "operator",
    ok: { "200": json("The breaker now: closed, no failures (or already: `changed: false`)", BreakerResetSchema) },
  },
];
