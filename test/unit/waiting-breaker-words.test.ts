// A job held by an open circuit breaker says what ends the wait (core/waiting-queued breaker_open, core/breaker-waiting):
// the breaker's state — open (until T, when the coordinator knows it), then one trial job whose success closes it —
// "engine claude is broken on gpu-1" named no end, and no command ends it sooner. A job naming no engine has the
// breaker of the factory's default engine, said so: "engine * is broken" named none. (H's file of pass 41, in G's
// words: the merge takes this side.)
import { describe, expect, it } from "vitest";
import type { Factory, Job } from "../../src/core/model.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 18, 39, 4, 262);
const job = (over: Partial<Job> = {}): Job => jobFixture(NOW, { id: "job_9", queuedAt: NOW - 3000, ...over });
const gpu1: Factory = factoryFixture(NOW, { id: "fac_g", name: "gpu-1", capabilities: ["engine:claude"], seats: 1 });
const ENDS = "a trial job's success closes it and the job runs";

function reasonOf(j: Job, key: string) {
  const ctx = { now: NOW, openBreakers: new Set([key]) };
  return waitingReasonOf(j, { ctx, factories: [gpu1], connected: new Set(["fac_g"]) }, NOW);
}

describe("a job held by an open breaker", () => {
  it("says the breaker is open and the trial job that ends the wait", () => {
    const r = reasonOf(job({ engine: "claude" }), "fac_g:claude");
    expect(r?.code).toBe("breaker_open");
    expect(r?.message).toBe(`engine claude's breaker on gpu-1 is open — ${ENDS}`);
  });

  it("names the default engine for a job that names none", () => {
    const r = reasonOf(job(), "fac_g:*");
    expect(r?.message).toBe(`the default engine's breaker on gpu-1 is open — ${ENDS}`);
    expect(r?.detail).toMatchObject({ engine: "*" });
  });
});
