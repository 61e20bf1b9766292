/**
 * @module durable-objects/coordinator/policies/budget-stop
 * STOP — what `onExhausted: stop` and a per-job overrun do to running work, and how the holders hear it.
 *
 * A stopped job goes back to `queued` as a preemption does (dispatch/lease-ops `giveBack`: holder fenced out with
 * epoch + 1, attempt refunded, checkpoint kept), its run closed `budget_exceeded` "stopped and requeued" — not
 * `cancelled`, and saying whether it resumes from a checkpoint or starts over, and the budget's pause keeps it there until
 * the budget allows dispatch again — unless its runs have spent its own usd/tokens budget (core/job-budget
 * `spentBudget`: AT a limit, though a run at it was within it): then `giveBack` ends it `failed` `budget_exceeded`
 * (policies/job-allowance `endIfSpent`), and its run is closed "stopped, not retried: spent …", not retryable. The
 * stop asks that rule before it closes the run (the run is closed first): it said "stopped and requeued", retryable,
 * of a job `giveBack` then failed. Each job's feed says why (`lease.lost`), and one automatic lesson records the stop
 * (`budget_stop`): one per stop, not per job, saying which jobs were requeued and which failed.
 *
 * NOTICES — the holder must be told to stop (a `cancel` frame), but only after the unit commits: a stop notice
 * (factories/notices `noteStop`), pushed after the commit.
 */
import type { ProductBudget } from "../../../core/budget.ts";
import { sharedScope } from "../../../core/lessons.ts";
import type { Checkpoint, Job } from "../../../core/model.ts";
import { spendTexts } from "../../../core/usd-text.ts";
import { expireIfLapsed } from "../dispatch/forced-loss.ts";
import { giveBack } from "../dispatch/lease-ops.ts";
import { holdSerialKey } from "../dispatch/serial-holds.ts";
import { noteStop } from "../factories/notices.ts";
import { noteLeaseExpiry } from "../factories/registry.ts";
import { loadJob } from "../jobs/rows.ts";
import { finishRun } from "../jobs/runs.ts";
import type { Tx } from "../runtime/tx.ts";
import { ownBudgetSpent } from "./job-allowance.ts";
import { recordAutoLesson } from "./lessons.ts";

/** What the run report whose spend may set off a stop asks of it. */
export interface StopScope {
  /** A job the stop must not stop: the one whose completion report this spend came from. */
  keepJobId?: string;
  /** The checkpoint a progress report carried: newer than the one its job has saved, and the one it resumes from. */
  reported?: { jobId: string; checkpoint: Omit<Checkpoint, "at"> };
}

/**
 * The budget is exhausted with `onExhausted: stop`: every leased job (assigned or building) but `keepJobId` is
 * taken back and requeued with its checkpoint, its holder told to stop — the reporting job with the checkpoint its
 * report carried (a report's changes apply after its charge, and a stopped job's are never applied: it resumed from
 * the checkpoint before, redoing — and paying again for — the work since) — or ended `failed` when it has spent its
 * own budget (policies/job-allowance `ownBudgetSpent`). Returns how many leased jobs it found (stopped or expired).
 */
export function stopRunning(tx: Tx, budget: ProductBudget, { keepJobId, reported }: StopScope = {}): number {
  const why = `budget exhausted: ${spendTexts(budget.spentUsd, budget.ceilingUsd).join(" of ")} per ${budget.period}`;
  const ids = tx.sql
    .exec<{ id: string }>(
      "SELECT id FROM jobs WHERE holder_factory_id IS NOT NULL AND stage IN ('assigned', 'building') ORDER BY id",
    )
    .toArray()
    .map((r) => r.id)
    .filter((id) => id !== keepJobId);
  const stopped: Stopped[] = [];
  const expiries = new Map<string, number>(); // lapsed leases per holder: on its record in one write, not one per job
  for (const id of ids) {
    const job = loadJob(tx.sql, id);
    if (!job?.holderFactoryId) continue;
    // The reaper's already: an expiry, its attempt counted (dispatch/forced-loss).
    if (expireIfLapsed(tx, job, true, expiries)) continue;
    noteStop(tx, job, why, "budget");
    holdSerialKey(tx, job); // its key stays held while its holder stops (dispatch/serial-holds)
    const newer = reported?.jobId === id ? { checkpoint: { ...reported.checkpoint, at: tx.now } } : {};
    const resumes = newer.checkpoint !== undefined || job.checkpoint !== undefined;
    // Each job's own record of it: the `lease.lost` event (why) and its run closed as what it was — ended by the
    // budget, the job requeued, or failed when nothing of its own budget is left (`giveBack` asks the same rule
    // next, in this unit) — not `cancelled` (giveBack's close then finds no open run). Both are neutral to breakers;
    // to track records the requeued one (retryable) is, the failed one is the engine's failure (policies/track-records).
    const own = ownBudgetSpent(tx, job);
    const result = own
      ? ({
          outcome: "budget_exceeded",
          message: `${why} — stopped, not retried: ${own.message}`,
          retryable: false,
        } as const)
      : ({ outcome: "budget_exceeded", message: stopMessage(why, resumes), retryable: true } as const);
    finishRun(tx, job, result);
    const back = giveBack(tx, job, why, { ...newer, lastResult: result });
    stopped.push({ job, resumes, requeued: back.stage === "queued" });
  }
  for (const [holder, count] of expiries) noteLeaseExpiry(tx, holder, count);
  if (stopped.length > 0) recordStopLesson(tx, budget, why, stopped);
  return ids.length;
}

/** A job the stop took back: whether it was requeued (else failed: its own budget spent), and resumes (has a checkpoint). */
interface Stopped {
  job: Job;
  resumes: boolean;
  requeued: boolean;
}

/** "budget exhausted: $2.05 of $2.00 per day — stopped and requeued; it resumes from its checkpoint" (or starts over). */
function stopMessage(why: string, resumes: boolean): string {
  return `${why} — stopped and requeued; ${resumes ? "it resumes from its checkpoint" : "no checkpoint: it starts over"}`;
}

/** Titles a stop's lesson names: enough to recognise the batch, few enough to leave the sentence readable. */
const NAMED_TITLES = 3;

/**
 * ONE automatic lesson per stop, whatever the number of jobs it caught: a lesson per job (subject `job:<id>`, the
 * job's title in its text, so no two alike) let one stop of 8 running jobs fill all 8 places of every assignment in
 * their scope with "the budget ran out", pushing out the lessons an engine can act on. Subject: the budget's period
 * (a second stop in it within the dedupe window counts on the same lesson); scope: what the stopped jobs share
 * (core/lessons `sharedScope`: one job, its own scope as before).
 */
function recordStopLesson(tx: Tx, budget: ProductBudget, why: string, stopped: readonly Stopped[]): void {
  const jobs = stopped.map((s) => s.job);
  const titles = jobs.slice(0, NAMED_TITLES).map((j) => `"${j.manifest.title}"`);
  const more = jobs.length > NAMED_TITLES ? ` and ${jobs.length - NAMED_TITLES} more` : "";
  const requeued = stopped.filter((s) => s.requeued);
  const failed = jobs.length - requeued.length;
  const resuming = requeued.filter((s) => s.resumes).length;
  const ran = `because the product budget ran out (${why})`;
  let text: string;
  if (jobs.length === 1 && failed === 1) text = `${titles[0]} was stopped ${ran}; ${SPENT_ONE}.`;
  else if (jobs.length === 1)
    text = `${titles[0]} was stopped and requeued ${ran}; ${stopped[0]?.resumes ? "it resumes from its checkpoint" : "it had no checkpoint, so it starts over"}.`;
  else if (failed === 0)
    text = `${jobs.length} running jobs (${titles.join(", ")}${more}) were stopped and requeued ${ran}; ${resumeWords(resuming, jobs.length)}.`;
  else
    text = `${jobs.length} running jobs (${titles.join(", ")}${more}) were stopped ${ran}; ${mixedWords(requeued.length, resuming, failed)}.`;
  recordAutoLesson(tx, {
    trigger: "budget_stop",
    subject: `budget:${budget.period}:${new Date(budget.periodStart).toISOString()}`,
    text,
    ...sharedScope(jobs.map((j) => ({ requires: j.manifest.requires, engine: j.engine, serialKey: j.serialKey }))),
  });
}

/** A lone stopped job `giveBack` ended `failed`, its own budget spent (the lesson called it requeued). */
const SPENT_ONE = "it had spent its own job budget, so it failed, not retried";

/** A stop of several jobs, some failed for their own spent budget: how many were requeued (and resume), how many not. */
function mixedWords(requeued: number, resuming: number, failed: number): string {
  const spent =
    failed === 1 ? "1 had spent its own job budget and failed" : `${failed} had spent their own job budgets and failed`;
  if (requeued === 0) return "each had spent its own job budget and failed; none was requeued";
  if (requeued === 1)
    return `1 was requeued and ${resuming === 1 ? "resumes from its checkpoint" : "starts over (no checkpoint)"}; ${spent}`;
  return `${requeued} were requeued (${resumeWords(resuming, requeued)}); ${spent}`;
}

/** How many of `n` stopped jobs resume from a checkpoint, in words (a lesson said "each resumes" of jobs with none). */
function resumeWords(resuming: number, n: number): string {
  if (resuming === n) return "each resumes from its checkpoint";
  if (resuming === 0) return "none had a checkpoint, so each starts over";
  return `${resuming} resume from their checkpoints, ${n - resuming} had none and start over`;
}
