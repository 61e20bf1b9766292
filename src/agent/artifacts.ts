/**
 * @module agent/artifacts
 * Uploads a run's artifacts before its report, while the lease (named by its
 * epoch) is still ours: `log.txt`, the whole log, and `diff.patch`, the run's
 * changes against its base. An upload that fails is reported as a warning and
 * never fails the job — the work itself is in the checkpoint branch.
 */
import type { Insights } from "../core/model.ts";
import { diffAgainstBase } from "./checkpoint.ts";
import type { JobLog } from "./job-log.ts";
import { type RestTarget, uploadArtifact } from "./rest.ts";
import type { Workspace } from "./workspace.ts";

/** 25 MiB: the coordinator's per-artifact limit; a larger diff is skipped (the checkpoint branch has it). */
const MAX_ARTIFACT_BYTES = 25 * 1024 * 1024;

export interface RunArtifact {
  name: string;
  contentType: string;
  text: string;
}

export function runArtifacts(log: string, patch: string): RunArtifact[] {
  return [
    { name: "log.txt", contentType: "text/plain; charset=utf-8", text: log },
    { name: "diff.patch", contentType: "text/x-diff; charset=utf-8", text: patch },
  ];
}

/** Upload each artifact; returns the names that made it. `warn` hears about each that did not. */
export async function uploadRunArtifacts(
  rest: RestTarget,
  jobId: string,
  leaseEpoch: number,
  log: string,
  patch: string,
  warn: (text: string) => void,
): Promise<string[]> {
  const uploaded: string[] = [];
  for (const a of runArtifacts(log, patch)) {
    const size = Buffer.byteLength(a.text, "utf8");
    if (size > MAX_ARTIFACT_BYTES) {
      warn(`artifact ${a.name} skipped: ${size} bytes is over the ${MAX_ARTIFACT_BYTES}-byte limit`);
      continue;
    }
    try {
      await uploadArtifact(rest, jobId, leaseEpoch, a.name, a.text, a.contentType);
      uploaded.push(a.name);
    } catch (err) {
      warn(`artifact ${a.name} not uploaded: ${(err as Error).message}`);
    }
  }
  return uploaded;
}

/**
 * The end-of-run bundle: diff the final checkpoint against the workspace base, close
 * the log, upload both. Returns the diff stat for the report's insights.
 */
export async function publishRun(
  rest: RestTarget,
  ref: { jobId: string; leaseEpoch: number },
  ws: Workspace,
  finalSha: string,
  log: JobLog,
  warn: (text: string) => void,
): Promise<Insights["diffStat"] | undefined> {
  const diff = await diffAgainstBase(ws, finalSha).catch((err: Error) => {
    log.write("agent", `diff failed: ${err.message}`);
    return undefined;
  });
  log.flush();
  await log.close();
  await uploadRunArtifacts(rest, ref.jobId, ref.leaseEpoch, log.text(), diff?.patch ?? "", warn);
  return diff?.stat;
}
