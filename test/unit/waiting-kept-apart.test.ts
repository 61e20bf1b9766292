// A job's waiting words attacked after a crash (core/waiting-excluded, waiting-queued): exclusions that end apart
// are each said with their own end, earliest first — one instant, the earliest, said "kept from a, b until T" of a
// b kept ten minutes longer, in `excluded` and in `no_factory_connected`'s "once back" alike; ends that agree read
// as one; past five named, the rest are counted with the last end. A job that names no capability, with no factory
// enrolled but a revoked one, says the revoked one could run it ("has it" named nothing). An ended exclusion is said
// by neither reason, as the router no longer applies it.
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 4, 262);
const T1 = NOW + 50_000; // 18:39:54
const T2 = NOW + 600_000; // 18:49:04

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, { id: "job_9", requires: ["tpu"], queuedAt: NOW - 3000, updatedAt: NOW - 3000, ...over });
const fac = (id: string, over: Partial<Factory> = {}): Factory =>
  factoryFixture(NOW, { id, name: id.slice(4), capabilities: ["tpu"], seats: 1, ...over });

function keptUntil(ends: Record<string, number>) {
  return (jobId: string, factoryId: string) => {
    const until = ends[factoryId];
    return until === undefined
      ? undefined
      : { jobId, factoryId, strikes: 1, kind: "expired" as const, at: NOW - 60_000, until };
  };
}

function reasonOf(factories: Factory[], ends: Record<string, number>, connected: string[], over: Partial<Job> = {}) {
  const ctx = { now: NOW, exclusionOf: keptUntil(ends) };
  return waitingReasonOf(job(over), { ctx, factories, connected: new Set(connected) }, NOW);
}

describe("exclusions that end apart", () => {
  it("excluded says each one's end, earliest first, and that it is offered again as each ends", () => {
    const r = reasonOf([fac("fac_b"), fac("fac_a")], { fac_a: T1, fac_b: T2 }, ["fac_a", "fac_b"]);
    expect(r?.code).toBe("excluded");
    expect(r?.message).toBe(
      "kept from a until 2026-12-06T18:39:54Z, b until 2026-12-06T18:49:04Z: their leases there expired — it is " +
        "offered again as each ends, or at once after `gigafactory requeue job_9` (it clears the exclusions)",
    );
    expect(r?.detail).toMatchObject({ until: T1 });
  });

  it("no_factory_connected's 'once back' says each one's end", () => {
    const r = reasonOf([fac("fac_a"), fac("fac_b")], { fac_a: T1, fac_b: T2 }, []);
    expect(r?.code).toBe("no_factory_connected");
    expect(r?.message).toContain(
      "; once back, it is kept from a until 2026-12-06T18:39:54Z, b until 2026-12-06T18:49:04Z (their leases there " +
        "expired: `gigafactory requeue job_9` clears those exclusions) — start the agent",
    );
    expect(r?.detail).toMatchObject({ until: T1 });
  });

  it("ends that agree read as one", () => {
    const r = reasonOf([fac("fac_a"), fac("fac_b")], { fac_a: T1, fac_b: T1 }, ["fac_a", "fac_b"]);
    expect(
      r?.message.startsWith(
        "kept from a, b until 2026-12-06T18:39:54Z: their leases there expired — it is " + "offered again then,",
      ),
    ).toBe(true);
  });

  it("past five named, the rest are counted with the last end", () => {
    const ids = ["a", "b", "c", "d", "e", "f", "g"].map((n) => `fac_${n}`);
    const ends = Object.fromEntries(ids.map((id, i) => [id, T1 + i * 60_000]));
    const r = reasonOf(
      ids.map((id) => fac(id)),
      ends,
      ids,
    );
    expect(r?.message).toContain("e until 2026-12-06T18:43:54Z and 2 more, the last until 2026-12-06T18:45:54Z: ");
  });

  it("an ended exclusion is said by neither reason", () => {
    const over = { fac_a: NOW, fac_b: T2 };
    const down = reasonOf([fac("fac_a"), fac("fac_b")], over, []);
    expect(down?.message).toContain("once back, it is kept from b until 2026-12-06T18:49:04Z (its lease there");
    const up = reasonOf([fac("fac_a"), fac("fac_b")], over, ["fac_a", "fac_b"]);
    expect(up?.code).toBe("dispatching");
  });
});

describe("a job that names no capability, with none enrolled", () => {
  it("says a revoked factory could run it", () => {
    const r = reasonOf([fac("fac_r", { status: "revoked", capabilities: [] })], {}, [], { requires: [] });
    expect(r?.code).toBe("no_capable_factory");
    expect(r?.message).toBe(
      "waiting for a factory — none is enrolled; the revoked r could run it (a revoked factory takes no work: " +
        "enroll its host again)",
    );
  });
});
