/**
 * @module agent/seat-stop-lines
 * What a seat says when its run is stopped before it reported (agent/seat-endings, agent/seat-run-end):
 * `abandonedLine` — cancelled, the lease lost, or the agent exiting with the engine still running: the work since the
 * last checkpoint is discarded — and `keptLine` — the agent exiting (a fatal close, another stop signal) while a run
 * whose engine had exited was reporting: that finished, paid-for work is kept on this host for the next agent on this
 * state dir to report — and `givenUpLine`, the same run given up when the lease ended with the connection.
 */
import type { CancelReading, OwnStop } from "./lease-notices.ts";

/** How the stop is said: a `cancel`'s reading, or the agent's own stop with what becomes of the lease. */
export type StopSaid = Pick<CancelReading, "event" | "what" | "code"> | OwnStop;

/** A seat's line: its event, its text, and the fields beside them (a `cancel`'s code). */
export interface StopLine {
  event: string;
  text: string;
  fields: Record<string, unknown>;
}

/**
 * The line of a run abandoned for `reason` (`cancelled`: an operator's or a parent's cancel; `said`: how, when known).
 * `kept`: the checkpoint that survives (this run's last, or the one it resumed from) — the work after it is lost.
 */
export function abandonedLine(
  jobId: string,
  reason: string,
  cancelled: boolean,
  said: StopSaid | undefined,
  kept: { sha?: string; branch?: string } | undefined,
): StopLine {
  const what = said?.what ?? (cancelled ? "cancelled" : "lease lost");
  const event = said?.event ?? (cancelled ? "job.cancelled" : "job.lease_lost");
  // The work since the last WIP checkpoint is lost; that checkpoint is not: it is on its branch, and the
  // coordinator keeps the one it recorded for the next holder (a preempted job resumes from it).
  const stopped =
    event === "job.preempted" || reason === "preempted"
      ? "engine stopped; the job resumes from its last checkpoint"
      : kept?.sha && kept.branch
        ? `engine stopped; checkpoint ${kept.sha.slice(0, 12)} kept on ${kept.branch}, later work discarded`
        : "engine stopped, work discarded";
  const after = said && "lease" in said ? `${stopped}; ${said.lease}` : stopped;
  const fields = said && "code" in said && said.code ? { code: said.code } : {};
  return { event, text: `${jobId} ${what}: ${reason} — ${after}`, fields };
}

/**
 * The line of a run kept for the restart: its engine had exited and its report was under way when the agent had to
 * exit for `reason` (`said`: the stop's event, verb, and what becomes of the lease). Its job record (the engine's exit,
 * or the report) and its workspace stay: an agent started again on this state dir while the lease is this factory's
 * finishes the report from them (agent/seat-run-end `afterRestart`), its engine not run — nor paid for — again.
 */
export function keptLine(jobId: string, reason: string, said: OwnStop): StopLine {
  const kept = "its engine had exited and its report was under way: kept on this host (job record and workspace)";
  const restart = "an agent started again on this state dir while the job is leased here reports it, not runs it";
  return {
    event: said.event,
    text: `${jobId} ${said.what}: ${reason} — ${kept}; ${restart}; ${said.lease}`,
    fields: {},
  };
}

/**
 * The line of a run given up on the agent's exit (`reason`) although its engine had exited and its report was under
 * way: the close said the lease ended (`said.lease`: a factory removed, a token revoked — the job requeued), so no
 * restart can report it; its files are removed rather than kept for a report that cannot come.
 */
export function givenUpLine(jobId: string, reason: string, said: OwnStop): StopLine {
  const given = "its engine had exited and its report was under way: given up, as no restart can report it";
  return {
    event: said.event,
    text: `${jobId} ${said.what}: ${reason} — ${given} (its workspace and files removed from this host); ${said.lease}`,
    fields: {},
  };
}
