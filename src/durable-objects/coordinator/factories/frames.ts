/**
 * @module durable-objects/coordinator/factories/frames
 * What each factory WebSocket frame does to the coordinator's state. One frame
 * = one atomic unit (a `batch` = one unit of several, factories/batch), the
 * same operations the HTTP routes use (fence, renew, patch, give back), so the
 * two transports cannot disagree. Returns the value to acknowledge with; a
 * DomainError becomes an `error` frame.
 */
import type { Job } from "../../../core/model.ts";
import type { BatchedFrame, FactoryFrame } from "../../../shared/protocol.ts";
import { expireLapsed, fence, giveBack, renewLease } from "../dispatch/lease-ops.ts";
import { endSerialHold } from "../dispatch/serial-holds.ts";
import { completeJob, patchJob } from "../jobs/report.ts";
import { loadJob, moveJob, touchJob } from "../jobs/rows.ts";
import { enqueueEvent } from "../outbox/records.ts";
import { fenceReport } from "../policies/late-spend.ts";
import { chargeReport } from "../policies/run-spend.ts";
import { queueVersion } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { updateFactory } from "./registry.ts";

/** A lease frame (alone its `id` is only for the answer) or a heartbeat: what one unit applies here. */
export type WorkFrame = BatchedFrame | Extract<FactoryFrame, { type: "heartbeat" }>;

/** `ttlSeconds`: the TTL this connection's hello asked for, if any (a renew frame's own `ttlSeconds` wins). */
export function applyFactoryFrame(tx: Tx, factoryId: string, frame: WorkFrame, ttlSeconds?: number): unknown {
  switch (frame.type) {
    case "accept":
      // Accepted and started: the very path of `progress{stage: "building"}` (fence, budget check, move, events).
      if (frame.stage === "building")
        return progress(tx, factoryId, { ...leaseOf(frame), type: "progress", stage: "building" });
      fence(tx, frame.jobId, factoryId, frame.leaseEpoch);
      return { jobId: frame.jobId };
    case "reject": {
      // Kept from this factory for a long, growing backoff — not forever: a host can be repaired.
      const job = fence(tx, frame.jobId, factoryId, frame.leaseEpoch);
      giveBack(tx, job, `rejected by factory: ${frame.reason}`, {}, "rejected");
      return { jobId: frame.jobId };
    }
    case "release": {
      const job = fence(tx, frame.jobId, factoryId, frame.leaseEpoch);
      giveBack(tx, job, `released by factory${frame.reason ? `: ${frame.reason}` : ""}`, {}, "released");
      return { jobId: frame.jobId };
    }
    case "renew":
      return renewLease(tx, frame.jobId, factoryId, frame.leaseEpoch, frame.ttlSeconds ?? ttlSeconds);
    case "progress":
      return progress(tx, factoryId, frame);
    case "complete":
      return summary(completeJob(tx, factoryId, frame.jobId, frame));
    case "fail":
      return summary(patchJob(tx, factoryId, frame.jobId, { ...frame, stage: "failed" }));
    case "stopped": {
      // About a lease already taken or lapsed: ends that run's serial hold, if it kept one (dispatch/serial-holds). A
      // lease of this factory's that lapsed but is not expired yet (an agent whose `welcome` no longer lists it says
      // `stopped` at once) is expired first, as a fence would: the hold its expiry keeps ends with this very frame,
      // where it outlived the stopped engine by the agent's whole lapse grace (nothing would say `stopped` again).
      if (loadJob(tx.sql, frame.jobId)?.holderFactoryId === factoryId) expireLapsed(tx, frame.jobId, frame.leaseEpoch);
      return { jobId: frame.jobId, released: endSerialHold(tx, factoryId, frame.jobId, frame.leaseEpoch) };
    }
    case "heartbeat":
      updateFactory(tx, factoryId, { lastHeartbeatAt: tx.now });
      return { queueVersion: queueVersion(tx.sql) };
  }
}

const leaseOf = (f: { jobId: string; leaseEpoch: number }) => ({ jobId: f.jobId, leaseEpoch: f.leaseEpoch });

function summary(job: Job & { duplicate?: boolean }) {
  return {
    jobId: job.id,
    stage: job.stage,
    leaseEpoch: job.leaseEpoch,
    ...(job.duplicate ? { duplicate: true } : {}),
  };
}

function progress(tx: Tx, factoryId: string, frame: Extract<BatchedFrame, { type: "progress" }>) {
  const report = { jobId: frame.jobId, factoryId, leaseEpoch: frame.leaseEpoch, insights: frame.insights };
  let job = fenceReport(tx, report); // refused as fenced, its spend is still charged (policies/late-spend)
  const ended = chargeReport(tx, job, { insights: frame.insights, checkpoint: frame.checkpoint, final: false });
  // Stopped or ended over a budget by this frame's spend (its checkpoint saved with it): the frame's log lines are
  // the engine's last before the stop — dropped with the rest of the frame, the feed lost what the money went on.
  if (ended) {
    if (frame.checkpoint) enqueueEvent(tx, ended.id, "checkpoint", { ...frame.checkpoint });
    return summary(logsOf(tx, factoryId, frame, ended));
  }
  const changes: Partial<Job> = {};
  if (frame.checkpoint) changes.checkpoint = { ...frame.checkpoint, at: tx.now };
  if (frame.pct !== undefined || frame.note !== undefined) changes.progress = { pct: frame.pct, note: frame.note };
  // One save: the move to building carries the checkpoint and progress (its stage event still comes first).
  if (frame.stage === "building" && job.stage === "assigned") job = moveJob(tx, job, "building", changes);
  else if (Object.keys(changes).length > 0) job = touchJob(tx, job, changes);
  if (frame.checkpoint) enqueueEvent(tx, job.id, "checkpoint", { ...frame.checkpoint });
  if (changes.progress) enqueueEvent(tx, job.id, "progress", { pct: frame.pct, note: frame.note });
  return summary(logsOf(tx, factoryId, frame, job));
}

/** A progress frame's log lines as a `log` event of `job`'s feed (none without lines); `job` back. */
function logsOf(tx: Tx, factoryId: string, frame: Extract<BatchedFrame, { type: "progress" }>, job: Job): Job {
  if (frame.logs?.length) {
    enqueueEvent(tx, job.id, "log", { factoryId, leaseEpoch: frame.leaseEpoch, lines: frame.logs });
  }
  return job;
}
