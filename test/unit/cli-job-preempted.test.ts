// `gigafactory job ID` on a preempted job: the detail says "preempted by <critical job> at <instant>"; a job never
// preempted shows no such line.
import { describe, expect, it } from "vitest";
import { renderJob } from "../../src/cli/commands/job.ts";
import type { Job } from "../../src/core/model.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const job: Job = {
  id: "job_low",
  productId: "p",
  title: "t",
  bodyMd: "",
  manifest: {} as Job["manifest"],
  stage: "queued",
  priority: "low",
  requires: [],
  prefers: [],
  budget: {},
  deps: [],
  depsMode: "all",
  kind: "task",
  rev: 3,
  leaseEpoch: 2,
  attempt: 0,
  maxAttempts: 3,
  createdAt: AT - 60_000,
  updatedAt: AT,
  queuedAt: AT,
};

describe("job rendering", () => {
  it("names the critical job that preempted it and when", () => {
    const text = renderJob({ ...job, preemptedAt: AT, preemptedBy: "job_crit" }, [], AT + 1000);
    expect(text).toMatch(/preempted\s+by job_crit at 2026-01-02T03:04:05Z/);
  });

  it("has no preempted line for a job that was not preempted", () => {
    expect(renderJob(job, [], AT)).not.toContain("preempted");
  });
});
