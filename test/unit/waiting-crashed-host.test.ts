// A crashed host's waiting reasons (core/waiting-fleet, waiting-queued, waiting-excluded): a job whose only capable
// factory is down AND kept from the job (the lease its crash lost) says both in its first reason — the exclusion's
// end, what the host did and the requeue that clears it — so starting the agent is no walk into a second wait;
// instants in reasons are UTC to the second, as the CLI prints them; and a count of enrolled factories that leaves
// a revoked one out names the revoked one that has what the job needs.
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import type { RouteContext } from "../../src/core/router.ts";
import { type WaitingInputs, waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 4, 262);
const UNTIL = NOW + 50_000; // 18:39:54.262

const job = (over: Partial<Job> = {}): Job =>
  jobFixture(NOW, { id: "job_9", requires: ["tpu"], queuedAt: NOW - 3000, updatedAt: NOW - 3000, ...over });
const gpu1 = (over: Partial<Factory> = {}): Factory =>
  factoryFixture(NOW, { id: "fac_g", name: "gpu-1", capabilities: ["tpu"], seats: 1, ...over });

function inputs(factories: Factory[], ctx: Partial<RouteContext> = {}, connected: string[] = []): WaitingInputs {
  return { ctx: { now: NOW, ...ctx }, factories, connected: new Set(connected) };
}

const expiredUntil = (until: number) => (jobId: string, factoryId: string) =>
  factoryId === "fac_g"
    ? { jobId, factoryId, strikes: 1, kind: "expired" as const, at: NOW - 60_000, until }
    : undefined;

describe("a down factory also kept from the job", () => {
  it("no_factory_connected names the exclusion and its end, to the second", () => {
    const r = waitingReasonOf(job(), inputs([gpu1()], { exclusionOf: expiredUntil(UNTIL) }), NOW);
    expect(r?.code).toBe("no_factory_connected");
    expect(r?.message).toContain(
      "no factory that can run it is connected (gpu-1); once back, it is kept from gpu-1 until " +
        "2026-12-06T18:39:54Z (its lease there expired: `gigafactory requeue job_9` clears that exclusion) — " +
        "start the agent on its host",
    );
    expect(r?.message).not.toMatch(/\.\d{3}Z/);
    expect(r?.detail).toMatchObject({ until: UNTIL, excluded: [{ id: "fac_g", name: "gpu-1", kind: "expired" }] });
  });

  it("says nothing of an exclusion already over, nor of a factory not kept", () => {
    for (const ctx of [{ exclusionOf: expiredUntil(NOW) }, {}]) {
      const r = waitingReasonOf(job(), inputs([gpu1()], ctx), NOW);
      expect(r?.code).toBe("no_factory_connected");
      expect(r?.message).not.toContain("kept from");
      expect(r?.detail).not.toHaveProperty("until");
    }
  });

  it("once connected, the excluded reason's end is to the second too", () => {
    const r = waitingReasonOf(job(), inputs([gpu1()], { exclusionOf: expiredUntil(UNTIL) }, ["fac_g"]), NOW);
    expect(r?.code).toBe("excluded");
    expect(r?.message.startsWith("kept from gpu-1 until 2026-12-06T18:39:54Z: its lease there expired")).toBe(true);
  });

  it("a retry's backoff is said to the second", () => {
    const r = waitingReasonOf(job({ notBefore: UNTIL }), inputs([gpu1()], {}, ["fac_g"]), NOW);
    expect(r?.message).toBe("retrying after its backoff, at 2026-12-06T18:39:54Z");
  });
});

describe("a revoked factory with the capability", () => {
  const others = ["a", "b", "c"].map((n) => gpu1({ id: `fac_${n}`, name: n, capabilities: [] }));

  it("is named apart from the count of enrolled factories", () => {
    const r = waitingReasonOf(job(), inputs([...others, gpu1({ status: "revoked" })]), NOW);
    expect(r?.code).toBe("no_capable_factory");
    expect(r?.message).toBe(
      "waiting for a factory with tpu — none of the 3 enrolled factories has it; the revoked gpu-1 has it " +
        "(a revoked factory takes no work: enroll its host again)",
    );
    expect(r?.detail).toMatchObject({ revoked: [{ id: "fac_g", name: "gpu-1" }] });
  });

  it("is not named when it lacks the capability too", () => {
    const r = waitingReasonOf(job(), inputs([...others, gpu1({ status: "revoked", capabilities: [] })]), NOW);
    expect(r?.message).toBe("waiting for a factory with tpu — none of the 3 enrolled factories has it");
    expect(r?.detail).not.toHaveProperty("revoked");
  });
});
