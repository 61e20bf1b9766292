// Dependencies: when a job's deps are met in `all` and `any` mode (a failed, dead or cancelled dep fails `all`
// dependents, naming it), how a cycle is detected and named (whole up to 20 jobs, then its first 20 and its length), — by property — that the submit check keeps every random
// graph acyclic and a diamond unblocks its bottom exactly once whatever the order of reports.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEAD_DEP_STAGES, depsState, failedDep, findCycle, MAX_CYCLE_NAMED, namedCycle } from "../../src/core/dag.ts";
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
  /** `edges` with `from → to` added. */
  const plus = (g: ReadonlyMap<string, readonly string[]>, from: string, to: string) =>
    new Map([...g, [from, [...(g.get(from) ?? []), to]]]);

  it("finds the cycle an added edge closes, as the path along it", () => {
    expect(findCycle(plus(edges, "c", "a"), ["c"])).toEqual(["c", "a", "b", "c"]);
    expect(findCycle(plus(edges, "b", "a"), ["b"])).toEqual(["b", "a", "b"]);
    // From any start that reaches it, the cycle is found, named from where the search entered it.
    expect(findCycle(plus(edges, "c", "a"), ["d", "a"])).toEqual(["a", "b", "c", "a"]);
  });

  it("names a cycle whole up to MAX_CYCLE_NAMED jobs, past that its first ones and how many more close it", () => {
    const cycleOf = (n: number) => [...Array.from({ length: n }, (_, i) => `j${i}`), "j0"];
    expect(namedCycle(["d", "d"])).toEqual({ text: "d → d", cycle: ["d", "d"] });
    const full = cycleOf(MAX_CYCLE_NAMED);
    expect(namedCycle(full)).toEqual({ text: full.join(" → "), cycle: full });
    const long = namedCycle(cycleOf(5_000));
    expect(long.cycle).toEqual(cycleOf(5_000).slice(0, MAX_CYCLE_NAMED));
    expect(long.length).toBe(5_000);
    expect(long.text).toBe(`${long.cycle.join(" → ")} → … ${5_000 - MAX_CYCLE_NAMED} more … → j0`);
  });

  it("treats a self-dependency as a cycle", () => {
    expect(findCycle(plus(edges, "d", "d"), ["d"])).toEqual(["d", "d"]);
  });

  it("allows edges that keep the graph acyclic, including a diamond and unknown ids", () => {
    expect(findCycle(plus(edges, "a", "c"), ["a"])).toBeUndefined(); // a→c is redundant, not cyclic
    expect(findCycle(plus(edges, "d", "a"), ["d"])).toBeUndefined();
    expect(findCycle(plus(edges, "a", "unknown"), ["a"])).toBeUndefined();
    const diamond = new Map([
      ["top", ["l", "r"]],
      ["l", ["bottom"]],
      ["r", ["bottom"]],
    ]);
    expect(findCycle(plus(diamond, "new", "top"), ["new"])).toBeUndefined();
    expect(findCycle(plus(diamond, "bottom", "top"), ["bottom"])).toEqual(["bottom", "top", "l", "bottom"]);
  });

  it("handles a 10 000-long chain without overflowing the stack", () => {
    const chain = new Map(Array.from({ length: 10_000 }, (_, i) => [`n${i}`, [`n${i + 1}`]]));
    expect(findCycle(plus(chain, "n10000", "n0"), ["n10000"])).toHaveLength(10_002);
    expect(findCycle(plus(chain, "n0", "n10000"), ["n0"])).toBeUndefined();
  });

  it("reads each node once, whatever the number of starts: 500 nodes, each waiting on its 100 predecessors", () => {
    // The shape that took minutes when each new edge had a search of its own (a request's children with sibling deps).
    const g = new Map(
      Array.from({ length: 500 }, (_, i) => [
        `c${i}`,
        Array.from({ length: Math.min(i, 100) }, (_, d) => `c${i - d - 1}`),
      ]),
    );
    let reads = 0;
    const lookup = (id: string) => {
      reads++;
      return g.get(id) ?? [];
    };
    expect(findCycle(lookup, g.keys())).toBeUndefined();
    expect(reads).toBe(500);
    reads = 0;
    expect(findCycle(lookup, [...g.keys()].reverse())).toBeUndefined();
    expect(reads).toBe(500);
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
  it("adding only the edges the check accepts never creates a cycle, and every refusal names a real one", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.tuple(fc.nat(11), fc.nat(11)), { maxLength: 60 }),
        (n, proposals) => {
          const edges = new Map<string, string[]>();
          for (const [a, b] of proposals) {
            const from = `n${a % n}`;
            const to = `n${b % n}`;
            const next = new Map([...edges, [from, [...(edges.get(from) ?? []), to]]]);
            const cycle = findCycle(next, [from]);
            if (cycle) {
              // A refusal names a real cycle: it ends where it starts, each hop is an edge, and it uses the new one.
              expect(cycle.at(-1)).toBe(cycle[0]);
              for (let i = 0; i + 1 < cycle.length; i++) expect(next.get(cycle[i]!)).toContain(cycle[i + 1]);
              expect(cycle.some((x, i) => x === from && cycle[i + 1] === to)).toBe(true);
              expect(isAcyclic(next)).toBe(false);
              continue;
            }
            expect(isAcyclic(next)).toBe(true);
            edges.set(from, next.get(from)!);
          }
          expect(isAcyclic(edges)).toBe(true);
        },
      ),
    );
  });

  it("a whole graph is refused exactly when it has a cycle, from all its nodes as starts (random graphs)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.tuple(fc.nat(9), fc.nat(9)), { maxLength: 40 }),
        (n, es) => {
          const g = new Map<string, string[]>();
          for (const [a, b] of es) g.set(`n${a % n}`, [...(g.get(`n${a % n}`) ?? []), `n${b % n}`]);
          const starts = Array.from({ length: n }, (_, i) => `n${i}`);
          expect(findCycle(g, starts) !== undefined).toBe(!isAcyclic(g));
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
