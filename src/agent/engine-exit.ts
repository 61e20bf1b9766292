/**
 * @module agent/engine-exit
 * The engine's exit, saved in the job record the moment it happens (`JobRecord.engineExit`). The report is saved only
 * after the final checkpoint and the uploads (up to a minute each): an agent killed in between and restarted within
 * its lease ran the engine again — and paid for it again. With the exit on record, the restarted seat finishes from
 * it (agent/seat-runner): final checkpoint and uploads in the workspace the engine left, or, when that is gone, the
 * outcome reported as work not captured. Also the words of that report (`notCaptured`), shared with a final
 * checkpoint that fails.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { truncateUtf8, utf8Text } from "../core/bytes.ts";
import type { Job, ReportedResult } from "../core/model.ts";
import { baseWithinTokensIn, InsightsFields, RunResultBody } from "../shared/api-work.ts";
import type { RunAs } from "./engine-user.ts";
import type { Usage } from "./insights.ts";
import { jobDir, mirrorName, type Workspace } from "./workspace.ts";

const Sha = z.string().regex(/^[0-9a-f]{7,64}$/);

/**
 * As read back from disk (agent/state): what it names is acted on, so the workspace is not a stored path but derived
 * from the job, and the earlier branch a checkpoint deletes is taken only when it is one of the job's (`workspaceLeft`).
 */
export const EngineExitSchema = z.object({
  at: z.number(),
  how: utf8Text(200),
  outcome: z.object({ type: z.enum(["complete", "fail"]), result: RunResultBody }).strict(),
  usage: baseWithinTokensIn(InsightsFields.omit({ diffStat: true })),
  base: Sha,
  lastSha: Sha.optional(),
  resumedFrom: Sha.optional(),
  resumedBranch: utf8Text(800, z.string().min(1)).optional(),
});

/** The report's type and result as an engine's exit decided them (agent/report `resultOf`). */
export type Outcome = { type: "complete" | "fail"; result: ReportedResult };

export interface EngineExit {
  /** When the engine exited (ms epoch). */
  at: number;
  /** How, for the job log: `code 0`, `SIGTERM`, a spawn error. */
  how: string;
  /** Decided at the exit, before the final checkpoint (whose failure `notCaptured` adds). */
  outcome: Outcome;
  /**
   * The run's cumulative usage as the meter saw it — a resumed lease's earlier spend included (agent/insights
   * `runUsage`). Reported as is after a restart: the coordinator charges only what it adds over the run's mark, so
   * adding the lease's `runSpent` to it again would charge that twice.
   */
  usage: Usage;
  /** The workspace's base (diffs are taken against it), and this run's last WIP checkpoint commit, the final's parent. */
  base: string;
  lastSha?: string;
  resumedFrom?: string;
  resumedBranch?: string;
}

/**
 * The record of an exit (`how`, `outcome`, `usage` as above) in `ws`, whose last WIP checkpoint is `lastSha`; `now`
 * in ms epoch. `how` is cut to what the record holds (a spawn error can be long): a record that fails its schema is
 * set aside unread, and the engine would run again.
 */
export function engineExit(
  exit: Pick<EngineExit, "how" | "outcome" | "usage">,
  ws: Workspace,
  lastSha: string | undefined,
  now: number,
): EngineExit {
  const { base, resumedFrom, resumedBranch } = ws;
  const how = truncateUtf8(exit.how, 200);
  return { at: now, ...exit, how, usage: { ...exit.usage }, base, lastSha, resumedFrom, resumedBranch };
}

/**
 * The workspace the engine of `job` left under `host.workDir`, rebuilt as agent/workspace made it (same dir, mirror
 * and push targets), or undefined when it is gone (no `.git`; for a repo job, no mirror either).
 */
export function workspaceLeft(
  exit: EngineExit,
  job: Pick<Job, "id" | "repo" | "leaseEpoch">,
  host: { workDir: string; checkpointRemote: string; owner?: RunAs },
): Workspace | undefined {
  const dir = jobDir(host.workDir, job.id);
  const mirror = job.repo ? path.join(host.workDir, "mirrors", mirrorName(job.repo)) : undefined;
  if (!existsSync(path.join(dir, ".git")) || (mirror && !existsSync(path.join(mirror, "HEAD")))) return undefined;
  return {
    jobId: job.id,
    leaseEpoch: job.leaseEpoch ?? 0,
    kind: mirror ? "repo" : "scratch",
    dir,
    base: exit.base,
    resumedFrom: exit.resumedFrom,
    resumedBranch: exit.resumedBranch?.startsWith(`gf/wip/${job.id}-e`) ? exit.resumedBranch : undefined,
    pushTargets: mirror ? ["origin", host.checkpointRemote] : [host.checkpointRemote],
    mirror,
    ...(mirror ? { repo: job.repo } : {}),
    owner: host.owner,
  };
}

/**
 * The report when the engine's last work is in no commit (`why`: the final checkpoint failed, the workspace was gone;
 * `held`: what diff.patch and the checkpoint hold instead). Success is then a failure (retryable: the next attempt
 * resumes from the last checkpoint) that says so; an engine failure keeps its outcome and says so too.
 */
export function notCaptured(report: Outcome, why: string, held: string): Outcome {
  const text = `work not captured: ${why}; ${held}`;
  if (report.type === "complete") {
    return { type: "fail", result: { outcome: "failure", message: truncateUtf8(text, 4000) } };
  }
  const message = report.result.message ? `${report.result.message}; ${text}` : text;
  return { ...report, result: { ...report.result, message: truncateUtf8(message, 4000) } };
}
