// Composite parents: waiting n of m, done into review or testing per the parent's reviewers, and failed naming the
// child — `onChildFailure: fail` at the first child that ends without shipping, `continue` only once all ended. A
// requeue is refused below a cancelled ancestor (the nearest named), never below a failed or dead-lettered one.
import { describe, expect, it } from "vitest";
import {
  ancestorCancelledMessage,
  type CompositeState,
  cancelledAncestor,
  compositeState,
  type OnChildFailure,
} from "../../src/core/composite.ts";
import type { Stage } from "../../src/core/model.ts";

const kids = (...stages: Stage[]) => stages.map((stage, i) => ({ id: `c${i}`, stage }));

describe("compositeState", () => {
  it.each<[OnChildFailure, Stage[], number, CompositeState]>([
    ["fail", [], 0, { state: "waiting", ended: 0, total: 0 }],
    ["fail", ["queued", "building"], 0, { state: "waiting", ended: 0, total: 2 }],
    ["fail", ["shipped", "testing"], 0, { state: "waiting", ended: 1, total: 2 }],
    ["fail", ["shipped", "shipped"], 0, { state: "done", next: "testing", shipped: 2, total: 2 }],
    ["fail", ["shipped", "shipped"], 2, { state: "done", next: "review", shipped: 2, total: 2 }],
    ["fail", ["building", "cancelled"], 0, { state: "failed", childId: "c1", childStage: "cancelled" }],
    ["fail", ["failed", "dead_letter"], 0, { state: "failed", childId: "c0", childStage: "failed" }],
    ["continue", ["building", "cancelled"], 0, { state: "waiting", ended: 1, total: 2 }],
    ["continue", ["shipped", "failed", "dead_letter"], 1, { state: "done", next: "review", shipped: 1, total: 3 }],
    ["continue", ["cancelled", "failed"], 0, { state: "failed", childId: "c0", childStage: "cancelled" }],
  ])("%s over %j (reviewers %d) → %j", (policy, stages, reviewers, expected) => {
    expect(compositeState(kids(...stages), policy, reviewers)).toEqual(expected);
  });

  it("never calls a parent done while a child is still live, whatever the policy", () => {
    for (const policy of ["fail", "continue"] as const) {
      for (const live of ["queued", "blocked", "assigned", "building", "review", "testing"] as const) {
        expect(compositeState(kids("shipped", live), policy, 0).state).toBe("waiting");
      }
    }
  });
});

describe("cancelledAncestor", () => {
  const up = (...stages: Stage[]) => stages.map((stage, i) => ({ id: `a${i}`, stage }));

  it("names the nearest cancelled ancestor, however far up", () => {
    expect(cancelledAncestor(up("cancelled"))?.id).toBe("a0");
    expect(cancelledAncestor(up("blocked", "failed", "cancelled", "cancelled"))?.id).toBe("a2");
  });

  it("refuses nothing below failed, dead-lettered, live or shipped ancestors, nor with none", () => {
    expect(cancelledAncestor([])).toBeUndefined();
    expect(cancelledAncestor(up("failed", "dead_letter", "blocked", "shipped", "review", "queued"))).toBeUndefined();
  });

  it("says which job was cancelled and what is left to do", () => {
    const message = ancestorCancelledMessage("j1", "a0");
    expect(message).toContain("job j1 cannot be requeued: a0, a composite job above it, is cancelled");
    expect(message).toContain("submit this job's work as a new job");
  });
});
