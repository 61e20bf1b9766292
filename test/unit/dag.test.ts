// Dependencies: when a job's deps are met in `all` and `any` mode, and how a dependency cycle is detected.
import { describe, expect, it } from "vitest";
import { DEAD_DEP_STAGES, depsState, findCyclePath, wouldCycle } from "../../src/core/dag.ts";
import { STAGES, type Stage } from "../../src/core/model.ts";

describe("depsState, mode all", () => {
  it("is satisfied with no deps", () => {
    expect(depsState("all", [])).toBe("satisfied");
  });

  it("is satisfied only when every dep shipped", () => {
    expect(depsState("all", ["shipped", "shipped"])).toBe("satisfied");
    expect(depsState("all", ["shipped", "building"])).toBe("waiting");
  });

  it("keeps waiting on a failed dep, because failed can still be requeued", () => {
    expect(depsState("all", ["shipped", "failed"])).toBe("waiting");
  });

  it.each<Stage | undefined>(["dead_letter", "cancelled", undefined])("is impossible when one dep is %s", (dead) => {
    expect(depsState("all", ["shipped", "queued", dead])).toBe("impossible");
  });

  it("waits for every non-terminal stage", () => {
    const live = STAGES.filter((s) => s !== "shipped" && !DEAD_DEP_STAGES.includes(s));
    expect(live).toEqual(["queued", "blocked", "assigned", "building", "review", "testing", "failed"]);
    for (const s of live) expect(depsState("all", [s])).toBe("waiting");
  });
});

describe("depsState, mode any", () => {
  it("is satisfied with no deps", () => {
    expect(depsState("any", [])).toBe("satisfied");
  });

  it("is satisfied as soon as one dep shipped, even if others are dead", () => {
    expect(depsState("any", ["cancelled", undefined, "shipped"])).toBe("satisfied");
  });

  it("waits while at least one dep can still ship", () => {
    expect(depsState("any", ["dead_letter", "failed"])).toBe("waiting");
    expect(depsState("any", ["cancelled", "queued"])).toBe("waiting");
  });

  it("is impossible only when every dep is dead_letter, cancelled or missing", () => {
    expect(depsState("any", ["dead_letter", "cancelled", undefined])).toBe("impossible");
  });
});

describe("cycle detection", () => {
  // a depends on b, b on c; d stands alone
  const edges = new Map<string, string[]>([
    ["a", ["b"]],
    ["b", ["c"]],
    ["d", []],
  ]);

  it("detects the edge that closes a cycle and returns the cycle path", () => {
    expect(wouldCycle(edges, "c", "a")).toBe(true);
    expect(findCyclePath(edges, "c", "a")).toEqual(["c", "a", "b", "c"]);
    expect(findCyclePath(edges, "b", "a")).toEqual(["b", "a", "b"]);
  });

  it("treats a self-dependency as a cycle", () => {
    expect(findCyclePath(edges, "d", "d")).toEqual(["d", "d"]);
  });

  it("allows edges that keep the graph acyclic, including a diamond", () => {
    expect(wouldCycle(edges, "a", "c")).toBe(false); // a→c is redundant, not cyclic
    expect(wouldCycle(edges, "d", "a")).toBe(false);
    expect(wouldCycle(edges, "a", "unknown")).toBe(false);
    const diamond = new Map([
      ["top", ["l", "r"]],
      ["l", ["bottom"]],
      ["r", ["bottom"]],
    ]);
    expect(wouldCycle(diamond, "new", "top")).toBe(false);
    expect(wouldCycle(diamond, "bottom", "top")).toBe(true);
  });

  it("handles a 10 000-long chain without overflowing the stack", () => {
    const chain = new Map(Array.from({ length: 10_000 }, (_, i) => [`n${i}`, [`n${i + 1}`]]));
    expect(wouldCycle(chain, "n10000", "n0")).toBe(true);
    expect(findCyclePath(chain, "n10000", "n0")).toHaveLength(10_002);
    expect(wouldCycle(chain, "n0", "n10000")).toBe(false);
  });

  it("terminates on a graph that already contains a cycle", () => {
    const cyclic = new Map([
      ["x", ["y"]],
      ["y", ["x"]],
    ]);
    expect(wouldCycle(cyclic, "z", "x")).toBe(false);
  });
});
