// What `npm start` prints about its example jobs (scripts/demo-summary): run again on the same state, the jobs the
// examples' idempotencyKeys found are "already present", not "submitted", and the `watch` hint names a job that is
// not over yet instead of the first one, which shipped the last time — and, when the jobs not over all wait for an
// operator (a rerun: the review example in review, the others in testing), the command that moves the first one on,
// not `watch`, which exits 3 at once on such a job.
import { describe, expect, it } from "vitest";
import { demoSummary } from "../../scripts/demo-summary.ts";

const job = (id: string, stage: string, replayed: boolean) => ({ id, title: id, stage, replayed });

describe("npm start summary", () => {
  it("says submitted for new jobs and hints at the first", () => {
    const s = demoSummary([job("job_a", "queued", false), job("job_b", "queued", false)]);
    expect(s.lines).toEqual(["  submitted:   job_a, job_b"]);
    expect(s.watchId).toBe("job_a");
    expect(s.next).toBe("watch job_a");
  });

  it.each([
    ["review", "review approve job_b"],
    ["testing", "ship job_b"],
    ["failed", "requeue job_b"],
  ])("names what moves a job in %s on, not a watch that exits 3 at once", (stage, next) => {
    const s = demoSummary([job("job_a", "shipped", true), job("job_b", stage, true), job("job_c", "testing", true)]);
    expect(s.next).toBe(next);
  });

  it("prefers a job still moving to one that waits for an operator", () => {
    const s = demoSummary([job("job_a", "review", true), job("job_b", "queued", false)]);
    expect(s.next).toBe("watch job_b");
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
    expect(s.next).toBe("watch job_b");
  });

  it("still names a job when every one has ended", () => {
    expect(demoSummary([job("job_a", "shipped", true)]).watchId).toBe("job_a");
    expect(demoSummary([job("job_a", "shipped", true)]).next).toBe("watch job_a");
  });
});
