/**
 * @module agent/artifacts
 * Uploads a run's artifacts before its report, while the lease (named by its
 * epoch) is still ours: `log.txt`, the whole log, and `diff.patch`, the run's
 * changes against its base. An upload that fails is reported as a warning and
 * never fails the job — the work itself is in the checkpoint branch — but the operator hears of it
 * (`artifact.failed`, through the `warn` the seat gives). A failure of the moment — storage (503 `unavailable`: the
 * coordinator says to send again), a proxy (502, 504) or the network (`unreachable`) — is tried again twice first.
 */

import { isUtf8 } from "node:buffer";
import { MAX_ARTIFACT_BYTES } from "../core/artifact-limits.ts";
import type { Insights } from "../core/model.ts";
import type { JobLog } from "./job-log.ts";
import { RestError, type RestTarget, uploadArtifact } from "./rest.ts";
import { runDiff } from "./run-diff.ts";
import type { Workspace } from "./workspace.ts";

export interface RunArtifact {
  name: string;
  contentType: string;
  body: string | Buffer;
}

/**
 * The two artifacts of a run. The patch goes as the bytes git wrote: labelled UTF-8 only when it is (a file in
 * Latin-1 makes a patch that is not, and relabelling or re-encoding it would break `git apply`).
 */
export function runArtifacts(log: string, patch: Buffer): RunArtifact[] {
  const charset = isUtf8(patch) ? "; charset=utf-8" : "";
  return [
    { name: "log.txt", contentType: "text/plain; charset=utf-8", body: log },
    { name: "diff.patch", contentType: `text/x-diff${charset}`, body: patch },
  ];
}

/**
 * The waits, ms, before the second and third try of an upload that failed for the moment. Short: the run's report
 * waits on its uploads, under a lease the renewer keeps. A timeout (60 s without an answer) is not tried again —
 * it would hold the report a minute more.
 */
export const UPLOAD_RETRY_DELAYS_MS: readonly number[] = [1000, 3000];

/** A failure another try may not meet: storage or a proxy unavailable for the moment, or no connection. */
function transient(err: unknown): boolean {
  return err instanceof RestError && (err.code === "unreachable" || [502, 503, 504].includes(err.status));
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Upload each artifact, trying one that failed for the moment again after each of UPLOAD_RETRY_DELAYS_MS (`sleep`
 * waits them; tests pass one that does not); returns the names that made it. `warn` hears about each that did not,
 * with its last error. A refusal (4xx: fenced, too large, a bad name) is not tried again.
 */
export async function uploadRunArtifacts(
  rest: RestTarget,
  jobId: string,
  leaseEpoch: number,
  log: string,
  patch: Buffer | undefined,
  warn: (text: string) => void,
  sleep: (ms: number) => Promise<void> = pause,
): Promise<string[]> {
  const uploaded: string[] = [];
  for (const a of runArtifacts(log, patch ?? Buffer.alloc(0))) {
    if (a.name === "diff.patch" && patch === undefined) continue; // the caller said why
    const size = typeof a.body === "string" ? Buffer.byteLength(a.body, "utf8") : a.body.length;
    if (size > MAX_ARTIFACT_BYTES) {
      warn(`artifact ${a.name} skipped: ${size} bytes is over the ${MAX_ARTIFACT_BYTES}-byte limit`);
      continue;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await uploadArtifact(rest, jobId, leaseEpoch, a.name, a.body, a.contentType);
        uploaded.push(a.name);
        break;
      } catch (err) {
        const wait = UPLOAD_RETRY_DELAYS_MS[attempt];
        if (transient(err) && wait !== undefined) {
          await sleep(wait);
          continue;
        }
        const tries = attempt > 0 ? ` (after ${attempt + 1} tries)` : "";
        warn(`artifact ${a.name} not uploaded${tries}: ${(err as Error).message}`);
        break;
      }
    }
  }
  return uploaded;
}

/**
 * The end-of-run bundle: diff the final checkpoint against the workspace base, close the log, upload both. A diff
 * that fails or is over the cap is told to `warn` (and the log), and the log still goes. Returns the diff stat for
 * the report's insights.
 */
export async function publishRun(
  rest: RestTarget,
  ref: { jobId: string; leaseEpoch: number },
  ws: Workspace,
  finalSha: string,
  log: JobLog,
  warn: (text: string) => void,
): Promise<Insights["diffStat"] | undefined> {
  const diff = await runDiff(ws, finalSha).catch((err: Error) => {
    log.write("agent", `diff failed: ${err.message}`);
    warn(`artifact diff.patch not made: ${err.message}`);
    return undefined;
  });
  if (diff?.skipped) {
    log.write("agent", diff.skipped);
    warn(`artifact ${diff.skipped}`);
  }
  log.flush();
  await log.close();
  await uploadRunArtifacts(rest, ref.jobId, ref.leaseEpoch, log.text(), diff?.patch, warn);
  return diff?.stat;
}
