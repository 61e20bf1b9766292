/**
 * @module durable-objects/coordinator/policies/lessons
 * CONTRACT (issue 9) — the one way the coordinator records a lesson by itself (`source: auto`), inside the unit
 * that saw it: retry exhaustion, a review rejection, a breaker trip, a budget stop, a quarantine. The lessons part
 * owns the storage (D1, through the outbox), the dedupe within a window and the matching into `assign` frames.
 */
import type { Tx } from "../runtime/tx.ts";

export type LessonTrigger = "retry_exhausted" | "review_rejected" | "breaker_trip" | "budget_stop" | "quarantine";

export interface AutoLesson {
  trigger: LessonTrigger;
  /** What it is about, e.g. `job:<id>`, `factory:<id>`, `breaker:<factoryId>:<engine>`. */
  subject: string;
  /** One or two sentences an engine can act on. */
  text: string;
  /** What it applies to: matched against a job's `requires`, engine and serial key. */
  capabilities?: string[];
  engine?: string;
  serialKey?: string;
}

/** Record an automatic lesson (deduplicated within a window by trigger + subject). */
export function recordAutoLesson(_tx: Tx, _lesson: AutoLesson): void {
  // Filled in by the lessons part.
}
