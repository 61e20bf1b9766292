/**
 * @module agent/report
 * The end of a run: the engine's exit turned into a `complete` or `fail`
 * report, and that report delivered — retried across reconnects until the
 * coordinator acknowledges it or says the lease is gone. The frames that must
 * not be lost (accept, the move to `building`, the report) go through
 * `deliverFrame`; logs and renewals are fire-and-forget by design.
 */
import { truncateUtf8 } from "../core/bytes.ts";
import type { ReportedResult } from "../core/model.ts";
import { type FactoryConnection, FrameError, LEASE_LOST_CODES, type OutFrame } from "./connection.ts";
import type { EngineExit } from "./engine-runner.ts";
import type { JobRecord, JobRecords, StoredReport } from "./state.ts";

/**
 * How much of a failure message a report carries, bytes of UTF-8, cut on a character boundary (core/bytes
 * `truncateUtf8`): a cut by UTF-16 units could halve an emoji, and a frame with half of one is refused.
 */
const MESSAGE_BYTES = 4000;

/**
 * The exit of an engine → the report type and result (insights and checkpoint are added by the caller).
 * `opts.wallSeconds`: the job's `budget.wallSeconds` (s); `opts.ranBeforeMs`: how long (ms) the run had gone before
 * this engine started (a resumed lease's), which the wall budget's message adds in.
 */
export function resultOf(
  exit: EngineExit,
  opts: {
    wallSeconds?: number;
    ranBeforeMs?: number;
    usageBreach?: string;
    lastError?: string;
    rateLimitedFor?: number;
  },
): { type: "complete" | "fail"; result: ReportedResult } {
  const rc = exit.rc !== null && exit.rc >= -1024 && exit.rc <= 1024 ? exit.rc : undefined;
  const withRc = (r: ReportedResult): ReportedResult => (rc === undefined ? r : { rc, ...r });
  if (exit.spawnError) {
    return {
      type: "fail",
      result: { outcome: "failure", message: truncateUtf8(exit.spawnError, MESSAGE_BYTES), retryable: false },
    };
  }
  if (exit.stoppedFor === "budget_wall") {
    const secs = exactSeconds;
    const resumed =
      opts.ranBeforeMs === undefined
        ? ""
        : `, ${secs(opts.ranBeforeMs + exit.durationMs)} into the run (resumed ${secs(opts.ranBeforeMs)} after it started)`;
    const budget = opts.wallSeconds === undefined ? "" : ` of ${secs(opts.wallSeconds * 1000)}`;
    const message = `wall-clock budget${budget} exceeded; engine stopped after ${secs(exit.durationMs)}${resumed}`;
    return { type: "fail", result: withRc({ outcome: "budget_exceeded", message, retryable: false }) };
  }
  if (exit.stoppedFor === "budget_usage") {
    const message = `budget exceeded: ${opts.usageBreach ?? "usage over the job's budget"}`;
    return { type: "fail", result: withRc({ outcome: "budget_exceeded", message, retryable: false }) };
  }
  if (opts.rateLimitedFor !== undefined) {
    // The engine said its provider throttled it (agent/insights): not the job's fault, whatever the exit code.
    const message = `engine rate limited: retry after ${opts.rateLimitedFor}s`;
    return {
      type: "fail",
      result: withRc({ outcome: "rate_limited", retryAfterSeconds: opts.rateLimitedFor, message }),
    };
  }
  if (exit.rc === 0) return { type: "complete", result: { outcome: "success", rc: 0 } };
  const how =
    exit.rc !== null ? `engine exited with code ${exit.rc}` : `engine was killed by ${exit.signal ?? "a signal"}`;
  const message = opts.lastError ? `${how}: ${opts.lastError}` : how;
  return { type: "fail", result: withRc({ outcome: "failure", message: truncateUtf8(message, MESSAGE_BYTES) }) };
}

/**
 * `ms` as seconds to the whole ms, trailing zeros dropped: 10,040 ms → "10.04s", 10,000 → "10s". The wall budget's
 * message gives every number so: to the tenth, a run stopped 40 ms past a 10 s budget read "budget of 10s exceeded;
 * engine stopped after 10.0s", and a resumed run's time could round onto the budget from either side.
 */
export function exactSeconds(ms: number): string {
  return `${Number((Math.round(ms) / 1000).toFixed(3))}s`;
}

export function reportFrame(jobId: string, leaseEpoch: number, report: StoredReport): OutFrame {
  const body = { jobId, leaseEpoch, result: report.result, insights: report.insights, checkpoint: report.checkpoint };
  return report.type === "complete" ? { type: "complete", ...body } : { type: "fail", ...body };
}

/** `code`: the coordinator's refusal (`fenced`, …); absent when the frame was given up before an answer. */
export type Delivery = { ok: true } | { ok: false; leaseLost: boolean; message: string; code?: string };

/**
 * Send a frame until it is acknowledged. A dropped connection or a timeout means
 * "unknown": wait for the next welcome and send again (accept and progress are
 * idempotent; a duplicate report is fenced). `gaveUp()` ends the wait (lease abandoned).
 */
export async function deliverFrame(conn: FactoryConnection, frame: OutFrame, gaveUp: () => boolean): Promise<Delivery> {
  let sentBefore = false;
  for (;;) {
    if (gaveUp())
      return { ok: false, leaseLost: true, message: `lease abandoned before ${frame.type} was acknowledged` };
    // Wake at least every second to notice `gaveUp`, even while the connection is down.
    await conn.whenReady(1000);
    if (!conn.ready) continue;
    try {
      await conn.request(frame);
      return { ok: true };
    } catch (err) {
      const e = err instanceof FrameError ? err : new FrameError("error", String(err));
      if (e.code === "disconnected" || e.code === "timeout") {
        sentBefore = true;
        continue;
      }
      const note = sentBefore && LEASE_LOST_CODES.has(e.code) ? " (an earlier send may have landed)" : "";
      return { ok: false, leaseLost: LEASE_LOST_CODES.has(e.code), message: `${e.message}${note}`, code: e.code };
    }
  }
}

/**
 * The last step of a run: save the report (a restart re-sends it instead of re-running
 * the engine), deliver it, and only once it is acknowledged write `ended` — last, so
 * nothing reading the record can see the job done before the coordinator knows.
 */
export async function reportAndRecord(
  conn: FactoryConnection,
  records: JobRecords,
  record: Omit<JobRecord, "report" | "ended">,
  report: StoredReport,
  gaveUp: () => boolean,
): Promise<Delivery> {
  records.write({ ...record, report });
  const delivered = await deliverFrame(conn, reportFrame(record.jobId, record.leaseEpoch, report), gaveUp);
  if (delivered.ok) records.write({ ...record, report, ended: Date.now() });
  return delivered;
}

/** The operator's line for a delivered report: `✔ job_… done in 12.3s` or `✘ job_… failed: why`. */
export function outcomeLine(
  jobId: string,
  report: StoredReport,
  took: string,
  resent: boolean,
): { mark: "✔" | "✘"; event: string; text: string; outcome: string } {
  if (report.type === "complete") {
    const again = resent ? " (report re-sent after a restart)" : "";
    return { mark: "✔", event: "job.done", text: `${jobId} done in ${took}${again}`, outcome: "success" };
  }
  const why = report.result.message ?? report.result.outcome;
  return { mark: "✘", event: "job.failed", text: `${jobId} failed: ${why}`, outcome: report.result.outcome };
}

/**
 * The operator's line for a job handed back (`release`, `reject`): `· job_… given back: why` once the coordinator
 * acknowledged it (`miss` undefined); else why not, and what becomes of the job. "Given back" whatever the answer sent
 * the operator to a queue the job was not in: with the socket down the coordinator still leases it to this host.
 */
export function givenBackLine(
  jobId: string,
  reason: string,
  how: "release" | "reject",
  miss: string | undefined,
): { mark: "·" | "⚠"; event: string; text: string } {
  if (miss === undefined) return { mark: "·", event: "job.released", text: `${jobId} given back: ${reason}` };
  const after = "unless it was received, the coordinator requeues the job once its lease expires";
  const text = `${jobId} not given back (${reason}): ${how} not acknowledged: ${miss}; ${after}`;
  return { mark: "⚠", event: "job.release_failed", text };
}
