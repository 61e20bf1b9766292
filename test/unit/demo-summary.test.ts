// What `npm start` prints about its example jobs (scripts/demo-summary): run again on the same state, the jobs the
// examples' idempotencyKeys found are "already present", not "submitted", and the `watch` hint names a job that is
// not over yet instead of the first one, which shipped the last time.
import { describe, expect, it } from "vitest";
import { demoSummary } from "../../scripts/demo-summary.ts";

const job = (id: string, stage: string, replayed: boolean) => ({ id, title: id, stage, replayed });

describe("npm start summary", () => {
  it("says submitted for new jobs and hints at the first", () => {
    const s = demoSummary([job("job_a", "queued", false), job("job_b", "queued", false)]);
    expect(s.lines).toEqual(["  submitted:   job_a, job_b"]);
    expect(s.watchId).toBe("job_a");
  });

  it("says already present for replays and hints at a job that is not over", () => {
    const s = demoSummary([
      job("job_a", "shipped", true),
      job("job_b", "building", true),
      job("job_c", "queued", false),
    ]);
    expect(s.lines).toEqual([
      "  submitted:   job_c",
      "  already present (from an earlier run): job_a (shipped), job_b (building)",
    ]);
    expect(s.watchId).toBe("job_b");
  });

  it("still names a job when every one has ended", () => {
    expect(demoSummary([job("job_a", "shipped", true)]).watchId).toBe("job_a");
  });
});
