// Dependencies: when a job's deps are met in `all` and `any` mode (a failed, dead or cancelled dep fails `all`
// dependents, naming it), how a cycle is detected, and — by property — that the submit check keeps every random
// graph acyclic and a diamond unblocks its bottom exactly once whatever the order of reports.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEAD_DEP_STAGES, depsState, failedDep, findCyclePath, wouldCycle } from "../../src/core/dag.ts";
import { type DepsMode, STAGES, type Stage } from "../../src/core/model.ts";

describe("depsState, mode all", () => {
  it("is satisfied with no deps", () => {
    expect(depsState("all", [])).toBe("satisfied");
  });

  it("is satisfied only when every dep shipped", () => {
    expect(depsState("all", ["shipped", "shipped"])).toBe("satisfied");
    expect(depsState("all", ["shipped", "building"])).toBe("waiting");
  });

  it("gives up on a failed dep: at the end of a unit, a failed job is one no automatic retry will take out", () => {
    expect(depsState("all", ["shipped", "failed"])).toBe("impossible");
  });

  it.each<Stage | undefined>([
    "failed",
    "dead_letter",
    "cancelled",
    undefined,
  ])("is impossible when one dep is %s", (dead) => {
    expect(depsState("all", ["shipped", "queued", dead])).toBe("impossible");
  });

  it("waits for every non-terminal stage", () => {
    const live = STAGES.filter((s) => s !== "shipped" && !DEAD_DEP_STAGES.includes(s));
    expect(live).toEqual(["queued", "blocked", "assigned", "building", "review", "testing"]);
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
    expect(depsState("any", ["dead_letter", "testing"])).toBe("waiting");
    expect(depsState("any", ["cancelled", "queued"])).toBe("waiting");
  });

  it("is impossible only when every dep is failed, dead_letter, cancelled or missing", () => {
    expect(depsState("any", ["failed", "dead_letter", "cancelled", undefined])).toBe("impossible");
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

describe("failedDep: the dependency a dependency_failed reason names", () => {
  const deps = (...stages: Array<Stage | undefined>) => stages.map((stage, i) => ({ id: `d${i}`, stage }));
  it.each<[DepsMode, Array<Stage | undefined>, ReturnType<typeof failedDep>]>([
    ["all", ["shipped", "queued"], undefined],
    ["all", ["shipped", "cancelled", "failed"], { depId: "d1", depStage: "cancelled" }],
    ["all", ["queued", undefined], { depId: "d1", depStage: "unknown" }],
    ["any", ["cancelled", "building"], undefined], // any: the building dep can still ship
    ["any", ["dead_letter", "failed"], { depId: "d0", depStage: "dead_letter" }],
    ["any", ["cancelled", "shipped"], undefined],
  ])("mode %s over %j → %j", (mode, stages, expected) => {
    expect(failedDep(mode, deps(...stages))).toEqual(expected);
  });
});

describe("properties", () => {
  it("adding only the edges the submit check accepts never creates a cycle (random graphs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 60 }),
        (n, proposals) => {
          const edges = new Map<string, string[]>();
          for (const [a, b] of proposals) {
            const from = `n${a % n}`;
            const to = `n${b % n}`;
            const cycle = findCyclePath(edges, from, to);
            if (cycle) {
              // A refusal names a real cycle: it starts and ends at `from`, first hop is the new edge.
              expect(cycle[0]).toBe(from);
              expect(cycle.at(-1)).toBe(from);
              expect(cycle[1]).toBe(to);
              for (let i = 1; i + 1 < cycle.length; i++) expect(edges.get(cycle[i]!)).toContain(cycle[i + 1]);
              continue;
            }
            edges.set(from, [...(edges.get(from) ?? []), to]);
          }
          expect(isAcyclic(edges)).toBe(true);
        },
      ),
    );
  });

  it("a diamond (A → B1, B2 → C) unblocks C exactly once for every interleaving of B1/B2 reports, resends included", () => {
    const report = fc.constantFrom("B1", "B2");
    fc.assert(
      fc.property(fc.array(report, { minLength: 2, maxLength: 8 }), (order) => {
        fc.pre(order.includes("B1") && order.includes("B2"));
        const stage = new Map<string, Stage>([
          ["B1", "testing"],
          ["B2", "testing"],
          ["C", "blocked"],
        ]);
        let unblocks = 0;
        for (const b of order) {
          if (stage.get(b) === "testing") stage.set(b, "shipped"); // a resend finds it already shipped
          // the coordinator's re-evaluation on every settle: only a blocked dependent may move
          if (stage.get("C") === "blocked" && depsState("all", [stage.get("B1"), stage.get("B2")]) === "satisfied") {
            stage.set("C", "queued");
            unblocks++;
          }
        }
        expect(unblocks).toBe(1);
        expect(stage.get("C")).toBe("queued");
      }),
    );
  });
});

/** Kahn's algorithm: every node can be removed in dependency order iff there is no cycle. */
function isAcyclic(edges: ReadonlyMap<string, readonly string[]>): boolean {
  const nodes = new Set([...edges.keys(), ...[...edges.values()].flat()]);
  const indegree = new Map([...nodes].map((n) => [n, 0]));
  for (const targets of edges.values()) for (const t of targets) indegree.set(t, indegree.get(t)! + 1);
  const ready = [...nodes].filter((n) => indegree.get(n) === 0);
  let removed = 0;
  while (ready.length > 0) {
    const n = ready.pop()!;
    removed++;
    for (const t of edges.get(n) ?? []) {
      indegree.set(t, indegree.get(t)! - 1);
      if (indegree.get(t) === 0) ready.push(t);
    }
  }
  return removed === nodes.size;
}
