// core/job-budget: the USD limit compared in whole micro-dollars (ten reports of $0.10 reach a $1 budget exactly,
// not 0.9999999999999999 of it; $1.10 is past it), and the coordinator's wall-time slack over the agent's own timer
// (60 s + 10 %: its clock also covers the workspace set-up and the upload).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobOverrun, wallGraceSeconds } from "../../src/core/job-budget.ts";

describe("jobOverrun", () => {
  it("compares USD in micro-dollars", () => {
    const tenDimes = Array.from({ length: 10 }, () => 0.1).reduce((a, b) => a + b, 0);
    expect(tenDimes).not.toBe(1);
    expect(jobOverrun({ usd: 1 }, { costUsd: tenDimes }, 0, 0)).toBeUndefined();
    expect(jobOverrun({ usd: 1 }, { costUsd: tenDimes + 0.1 }, 0, 0)?.message).toBe(
      "cost $1.10 exceeds the job budget $1.00",
    );
    expect(jobOverrun({ usd: 1 }, { costUsd: 1.000001 }, 0, 0)?.limit).toBe("usd");
  });

  it("says a sub-cent overrun in sub-cent amounts, not $0.00 exceeds $0.00", () => {
    expect(jobOverrun({ usd: 0.005 }, { costUsd: 0.0061 }, 0, 0)?.message).toBe(
      "cost $0.0061 exceeds the job budget $0.0050",
    );
  });

  it("property: wall time trips exactly past wallSeconds + its grace", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400 }), fc.integer({ min: 0, max: 10 ** 12 }), (w, startedAt) => {
        const edge = startedAt + Math.round((w + wallGraceSeconds(w)) * 1000);
        expect(jobOverrun({ wallSeconds: w }, undefined, startedAt, edge)).toBeUndefined();
        expect(jobOverrun({ wallSeconds: w }, undefined, startedAt, edge + 1)?.limit).toBe("wallSeconds");
      }),
    );
  });
});
