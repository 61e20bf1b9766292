/**
 * @module agent/start-frames
 * How a seat tells the coordinator that it took a job and started it. With a coordinator that announces
 * FEATURES.acceptBuilding in `welcome.features`: one `accept {stage: "building"}` — accepted and started in one
 * round trip, before the workspace is prepared (preparing it is the first part of the work). With an older one:
 * `accept` at once, then `progress {stage: "building"}` once the workspace is ready — the only way it knows.
 * A lease resumed after a reconnect (from `welcome.leases`) is accepted again only while the job is still
 * `assigned`; one already `building` needs neither frame with a newer coordinator.
 */
import type { Stage } from "../core/model.ts";
import { FEATURES } from "../shared/protocol.ts";
import type { OutFrame } from "./connection.ts";

export interface StartFrames {
  /** The accept to deliver before anything else, or undefined when the coordinator has it already. */
  accept: Extract<OutFrame, { type: "accept" }> | undefined;
  /** Whether `progress {stage: "building"}` must still follow once the workspace is ready. */
  buildingProgress: boolean;
}

/**
 * `features`: the last `welcome`'s (empty for a coordinator that announces none); `resumed`: the lease came from
 * `welcome.leases`, `stage` being the job's stage then.
 */
export function startFrames(
  lease: { jobId: string; leaseEpoch: number },
  features: ReadonlySet<string>,
  resumed: boolean,
  stage: Stage,
): StartFrames {
  const needsAccept = !resumed || stage === "assigned";
  if (!features.has(FEATURES.acceptBuilding)) {
    return { accept: needsAccept ? { type: "accept", ...lease } : undefined, buildingProgress: true };
  }
  return { accept: needsAccept ? { type: "accept", ...lease, stage: "building" } : undefined, buildingProgress: false };
}
