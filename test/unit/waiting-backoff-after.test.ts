// A retry's backoff followed by an exclusion that outlasts it says both (core/waiting-backoff retry_backoff): every
// factory that could run the job is kept from it past the backoff's end (a lease it lost there, a refusal), so
// "retrying after its backoff, at T" alone sent a reader into a second wait, `excluded`, at T. Each exclusion is said
// with its own end, with the requeue that clears them; an exclusion that ends first, or a factory not kept, adds
// nothing.
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 4, 262);
const RETRY = NOW + 20_000; // 18:39:24

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, { id: "job_9", requires: ["tpu"], queuedAt: NOW - 3000, attempt: 2, maxAttempts: 3, ...over });
const fac = (id: string): Factory => factoryFixture(NOW, { id, name: id.slice(4), capabilities: ["tpu"], seats: 1 });

function reasonOf(factories: Factory[], ends: Record<string, number>) {
  const exclusionOf = (jobId: string, factoryId: string) => {
    const until = ends[factoryId];
    return until === undefined
      ? undefined
      : { jobId, factoryId, strikes: 1, kind: "expired" as const, at: NOW - 60_000, until };
  };
  const connected = new Set(factories.map((f) => f.id));
  return waitingReasonOf(job({ notBefore: RETRY }), { ctx: { now: NOW, exclusionOf }, factories, connected }, NOW);
}

describe("a retry's backoff and the exclusions after it", () => {
  it("says what it is kept from after the backoff, until when, and the requeue that clears it", () => {
    const r = reasonOf([fac("fac_a")], { fac_a: NOW + 50_000 });
    expect(r?.code).toBe("retry_backoff");
    expect(r?.message).toBe(
      "retrying after its backoff, at 2026-12-06T18:39:24Z; after it, it is kept from a until " +
        "2026-12-06T18:39:54Z (its lease there expired: `gigafactory requeue job_9` clears that exclusion)",
    );
    expect(r?.detail).toMatchObject({ until: RETRY, keptUntil: NOW + 50_000, attempt: 2, maxAttempts: 3 });
  });

  it("names each one's end when several are kept", () => {
    const r = reasonOf([fac("fac_a"), fac("fac_b")], { fac_a: NOW + 50_000, fac_b: NOW + 600_000 });
    expect(r?.message).toContain(
      "; after it, it is kept from a until 2026-12-06T18:39:54Z, b until 2026-12-06T18:49:04Z (their leases",
    );
  });

  it("adds nothing when an exclusion ends first or a factory is not kept", () => {
    for (const ends of [{ fac_a: NOW + 5_000 }, {}] as Record<string, number>[]) {
      const r = reasonOf([fac("fac_a")], ends);
      expect(r?.message).toBe("retrying after its backoff, at 2026-12-06T18:39:24Z");
      expect(r?.detail).not.toHaveProperty("keptUntil");
    }
    const one = reasonOf([fac("fac_a"), fac("fac_b")], { fac_a: NOW + 50_000 });
    expect(one?.message).toBe("retrying after its backoff, at 2026-12-06T18:39:24Z");
  });
});
