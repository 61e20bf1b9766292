// The dashboard's DAG view: a tree flattens into one node per job, a dashed parent → child edge per child and a
// dep → dependent arrow only between jobs of the tree; the vendored dagre build lays it out top-down with no
// overlapping boxes, and the vendored copy is the one in node_modules (scripts/vendor-dashboard.ts --check). A tree
// too costly for dagre (a long chain of children, which froze the tab for good) is not laid out, and the panel says
// how many jobs it shows and which ones the server cut short.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { graphOf, LAYOUT_BUDGET, layoutCost, treeNote } from "../../dashboard/dag-graph.js";
// @ts-expect-error the vendored browser build ships no types
import dagre from "../../dashboard/vendor/dagre.esm.js";

const node = (id: string, deps: string[] = [], children: unknown[] = []) => ({
  id,
  title: id,
  stage: "queued",
  kind: children.length ? "composite" : "task",
  priority: "medium",
  deps,
  waitingReason: null,
  children,
});

describe("DAG view", () => {
  const root = node("p", [], [node("a"), node("b", ["a"]), node("c", ["a", "b", "outside"])]);

  it("flattens the tree: child edges for its shape, dep edges only inside it", () => {
    const { nodes, edges } = graphOf(root) as { nodes: Array<{ id: string }>; edges: unknown[] };
    expect(nodes.map((n) => n.id).sort()).toEqual(["a", "b", "c", "p"]);
    expect(edges).toEqual(
      expect.arrayContaining([
        { from: "p", to: "a", kind: "child" },
        { from: "a", to: "b", kind: "dep" },
        { from: "b", to: "c", kind: "dep" },
      ]),
    );
    expect(edges).toHaveLength(6); // 3 child + 3 dep edges; "outside" is not a node
  });

  it("lays out with the vendored dagre: parent above, deps above their dependents, no overlap", () => {
    const { nodes, edges } = graphOf(root) as {
      nodes: Array<{ id: string }>;
      edges: Array<{ from: string; to: string; kind: string }>;
    };
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "TB" });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of nodes) g.setNode(n.id, { width: 190, height: 46 });
    for (const e of edges) g.setEdge(e.from, e.to, {}, e.kind);
    dagre.layout(g);
    const y = (id: string) => g.node(id).y as number;
    expect(y("p")).toBeLessThan(y("a"));
    expect(y("a")).toBeLessThan(y("b"));
    expect(y("b")).toBeLessThan(y("c"));
    const boxes = nodes.map((n) => g.node(n.id) as { x: number; y: number });
    for (const [i, a] of boxes.entries())
      for (const b of boxes.slice(i + 1)) expect(Math.abs(a.x - b.x) >= 190 || Math.abs(a.y - b.y) >= 46).toBe(true);
  });

  it("the vendored copy matches node_modules", () => {
    expect(() => execFileSync(process.execPath, ["scripts/vendor-dashboard.ts", "--check"])).not.toThrow();
  });

  it("prices a long chain of children over the budget and a small or wide tree under it", () => {
    const chain = (n: number) =>
      node(
        "p",
        [],
        Array.from({ length: n }, (_, i) => node(`c${i}`, i ? [`c${i - 1}`] : [])),
      );
    const star = (n: number) =>
      node(
        "p",
        [],
        Array.from({ length: n }, (_, i) => node(`c${i}`)),
      );
    // Each child edge from p to the i-th job of a chain crosses i ranks: dagre makes a dummy node per rank.
    expect(layoutCost(graphOf(chain(999)))).toBe(1000 + (998 * 999) / 2);
    expect(layoutCost(graphOf(chain(999)))).toBeGreaterThan(LAYOUT_BUDGET);
    expect(layoutCost(graphOf(chain(200)))).toBeGreaterThan(LAYOUT_BUDGET);
    expect(layoutCost(graphOf(star(999)))).toBeGreaterThan(LAYOUT_BUDGET);
    expect(layoutCost(graphOf(root))).toBeLessThanOrEqual(LAYOUT_BUDGET);
    expect(layoutCost(graphOf(star(200)))).toBeLessThanOrEqual(LAYOUT_BUDGET);
  });

  it("says how many jobs it shows and how many the server cut short", () => {
    const { nodes } = graphOf(root) as { nodes: unknown[] };
    expect(treeNote(nodes)).toBe("4 jobs shown.");
    const cut = { ...node("q", [], [node("x")]), truncated: true };
    expect(treeNote(graphOf(cut).nodes)).toBe(
      "2 jobs shown; 1 job has more children than one tree read sends (marked “…”): open one to see them.",
    );
  });
});
