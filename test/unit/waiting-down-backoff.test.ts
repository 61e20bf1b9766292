// A job whose capable factories are all down and whose retry waits for its backoff says both (core/waiting-fleet,
// waiting-queued no_factory_connected): "start the agent" alone sent a newcomer into a second wait, retry_backoff,
// once the agent was back. The backoff's end is to the second, in the detail (`retryAt`) and, when it comes first,
// as `until` (the dashboard reads the job again then); a backoff already over says nothing.
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 4, 262);
const RETRY = NOW + 20_000; // 18:39:24
const KEPT = NOW + 50_000; // 18:39:54

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, { id: "job_9", requires: ["tpu"], queuedAt: NOW - 3000, attempt: 1, maxAttempts: 3, ...over });
const gpu1: Factory = factoryFixture(NOW, { id: "fac_g", name: "gpu-1", capabilities: ["tpu"], seats: 1 });

function reasonOf(j: Job, keptUntil?: number) {
  const exclusionOf = (jobId: string, factoryId: string) =>
    keptUntil === undefined
      ? undefined
      : { jobId, factoryId, strikes: 1, kind: "expired" as const, at: NOW - 60_000, until: keptUntil };
  return waitingReasonOf(j, { ctx: { now: NOW, exclusionOf }, factories: [gpu1], connected: new Set() }, NOW);
}

describe("a down factory and a retry's backoff", () => {
  it("says the backoff's end beside the agent to start", () => {
    const r = reasonOf(job({ notBefore: RETRY }));
    expect(r?.code).toBe("no_factory_connected");
    expect(r?.message).toBe(
      "no factory that can run it is connected (gpu-1); it retries after its backoff, at 2026-12-06T18:39:24Z — " +
        "start the agent on its host (`gigafactory-agent run`, as `gigafactory enroll NAME` printed it); " +
        "`gigafactory factories` says when each was last seen",
    );
    expect(r?.detail).toMatchObject({ until: RETRY, retryAt: RETRY });
  });

  it("says it after an exclusion, and `until` is the earlier end", () => {
    const r = reasonOf(job({ notBefore: RETRY }), KEPT);
    expect(r?.message).toContain(
      "clears that exclusion); it retries after its backoff, at 2026-12-06T18:39:24Z — start the agent",
    );
    expect(r?.detail).toMatchObject({ until: RETRY, retryAt: RETRY, excluded: [{ until: KEPT }] });
  });

  it("says nothing of a backoff already over", () => {
    const r = reasonOf(job({ notBefore: NOW }));
    expect(r?.message).not.toContain("backoff");
    expect(r?.detail).not.toHaveProperty("until");
    expect(r?.detail).not.toHaveProperty("retryAt");
  });
});
