// How the agent says it started a job: one `accept {stage: "building"}` to a coordinator that announces the
// feature, `accept` then `progress {stage: "building"}` to an older one, and nothing again for a resumed lease
// already building — so a newer agent keeps working against an older coordinator.
import { describe, expect, it } from "vitest";
import { startFrames } from "../../src/agent/start-frames.ts";
import { FEATURES, parseFactoryFrame } from "../../src/shared/protocol.ts";

const lease = { jobId: "job_x", leaseEpoch: 2 };
const newer = new Set<string>(Object.values(FEATURES));
const older = new Set<string>();

describe("startFrames", () => {
  it("accepts and starts in one frame when the coordinator announces accept-building", () => {
    const plan = startFrames(lease, newer, false, "assigned");
    expect(plan).toEqual({ accept: { type: "accept", ...lease, stage: "building" }, buildingProgress: false });
    // What it sends is a valid protocol frame.
    expect(parseFactoryFrame(JSON.stringify({ ...plan.accept, id: "r1" })).ok).toBe(true);
  });

  it("keeps the two frames of protocol v1 with a coordinator that announces nothing", () => {
    expect(startFrames(lease, older, false, "assigned")).toEqual({
      accept: { type: "accept", ...lease },
      buildingProgress: true,
    });
  });

  it("accepts a resumed lease again only while the job is still assigned", () => {
    expect(startFrames(lease, newer, true, "assigned").accept).toEqual({ type: "accept", ...lease, stage: "building" });
    expect(startFrames(lease, newer, true, "building")).toEqual({ accept: undefined, buildingProgress: false });
    expect(startFrames(lease, older, true, "building")).toEqual({ accept: undefined, buildingProgress: true });
  });
});
