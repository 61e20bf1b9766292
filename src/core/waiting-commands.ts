/**
 * @module core/waiting-commands
 * The commands a waiting reason names for the waits a person ends (core/waiting, core/waiting-queued): a job in
 * `testing` (ship or reject it), one `failed` (requeue or cancel it; a spent budget raised with the requeue), one
 * whose dependency will not ship (requeue the dependency, then the job; or cancel it), and one whose capable factories
 * are all disconnected (start the agent on the host). Their messages said what was wrong and named no command, where
 * the other operator waits name theirs (`gigafactory serial unfreeze KEY`, `factory release ID`, `budget resume`).
 * Every id is put in a command only when it can be pasted into a shell as is (else its placeholder). Pure.
 */
import type { Job, RunResult } from "./model.ts";

/** `word` when a shell takes it as one plain word (an id, a key: text from elsewhere), else `placeholder`. */
export function shellWord(word: string, placeholder: string): string {
  return /^[\w.:@/-]{1,128}$/.test(word) ? word : placeholder;
}

/** `` `gigafactory ship job_1` ``: a CLI command as a reason shows it. */
const run = (words: string): string => `\`gigafactory ${words}\``;

/** A job in `testing`: ship it, or reject it. */
export function testingFix(jobId: string): string {
  const id = shellWord(jobId, "ID");
  return `${run(`ship ${id}`)} ships it, ${run(`reject ${id}`)} fails it`;
}

/**
 * A failed job that can run again: requeue it (with `--budget-usd N` when it failed on its budget: a requeue as it is
 * is refused `budget_exceeded`), or cancel it. `canCancel` false: the requeue alone (its dependencies are met again).
 */
export function failedFix(jobId: string, last: RunResult | undefined, canCancel = true): string {
  const id = shellWord(jobId, "ID");
  const raise = last?.outcome === "budget_exceeded" ? " --budget-usd N" : "";
  const requeue = `${run(`requeue ${id}${raise}`)} runs it again`;
  return canCancel ? `${requeue}, ${run(`cancel ${id}`)} drops it` : requeue;
}

/**
 * A job whose dependency `depId` ended in `depStage` without shipping: a failed or dead-lettered dependency is
 * requeued, then the job (the dependents it failed stay failed: coordinator/dag/dependents); a cancelled or unknown
 * one never ships, so the job can only be cancelled (or submitted again without it).
 */
export function deadDependencyFix(jobId: Job["id"], depId: string, depStage: string): string {
  const id = shellWord(jobId, "ID");
  if (depStage === "failed" || depStage === "dead_letter") {
    return `${run(`requeue ${shellWord(depId, "DEP")}`)}, then ${run(`requeue ${id}`)}`;
  }
  return `it will never ship: ${run(`cancel ${id}`)}, or submit the job again without it`;
}

/**
 * An instant in a reason's words: UTC to the second (`2026-12-06T18:39:54Z`), the form the CLI prints instants in
 * (cli/table formatInstant) — a reason said `…54.262Z`, the only time with milliseconds a person read. The detail
 * keeps the exact ms.
 */
export function instantWords(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** Capable factories enrolled but none connected: their agents are down. */
export const DISCONNECTED_FIX =
  "start the agent on its host (`gigafactory-agent run`, as `gigafactory enroll NAME` printed it); " +
  "`gigafactory factories` says when each was last seen";
