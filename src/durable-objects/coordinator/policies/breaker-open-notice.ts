/**
 * @module durable-objects/coordinator/policies/breaker-open-notice
 * What an operator reads when a factory × engine breaker opens: its `breaker_open` alert ("open until T") and, on a
 * trip, the automatic lesson. Both name the factory as `name (id)` (factories/registry `factoryLabel`), as the
 * fleet, the factory alerts and the waiting reasons do: by its id alone, the Alerts page said
 * "engine sample on factory fac_0mxbu3guj… is open" while the job beside it said "broken on build-box-7".
 */
import { instantWords } from "../../../core/waiting-commands.ts";
import type { Run } from "../../../shared/responses.ts";
import { factoryLabel } from "../factories/registry.ts";
import type { Tx } from "../runtime/tx.ts";
import { raiseAlert } from "./alerts.ts";
import { recordAutoLesson } from "./lessons.ts";

/**
 * Raises (or refreshes) the `breaker_open` alert of `run`'s factory × `engine`, open until `untilMs` (ms epoch),
 * `why` it opened; with `tripped`, records the lesson too. `run.result` must be set. Throws nothing of its own.
 */
export function sayBreakerOpen(tx: Tx, run: Run, engine: string, untilMs: number, why: string, tripped: boolean) {
  const factory = factoryLabel(tx.sql, run.factoryId);
  const subject = `breaker:${run.factoryId}:${engine}`;
  const message = `engine ${engine}'s breaker on factory ${factory} is open until ${instantWords(untilMs)}: ${why}`;
  raiseAlert(tx, { kind: "breaker_open", severity: "warning", subject, message });
  if (!tripped) return;
  const last = run.result?.message ?? run.result?.outcome;
  recordAutoLesson(tx, {
    trigger: "breaker_trip",
    subject,
    text: `Engine ${engine} on factory ${factory} tripped its breaker: ${why}; last: ${last}`,
    ...(run.engine ? { engine: run.engine } : {}),
  });
}
