/**
 * @module dashboard/dag-graph
 * A composite job's tree as the DAG view (dag.js) reads it before drawing: its nodes and edges (parent → child, and
 * dep → dependent between jobs of the tree), what laying it out costs against the most a tab may spend, and the line
 * saying how many jobs are shown and which were cut short.
 */

/** Most layout work (`layoutCost`) drawn as a graph: ≤ 0.2 s in Node (300-job star, 25-job chain); more freezes the tab. */
export const LAYOUT_BUDGET = 300;

/**
 * Flattens a tree into nodes and edges: parent → child for the tree's shape, dep → dependent for deps between
 * jobs of the tree (a dep outside the tree is listed in the node's tooltip instead).
 * @param {any} root
 */
export function graphOf(root) {
  /** @type {any[]} */
  const nodes = [];
  /** @type {{ from: string, to: string, kind: "child" | "dep" }[]} */
  const edges = [];
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    nodes.push(node);
    for (const child of node.children) {
      edges.push({ from: node.id, to: child.id, kind: "child" });
      stack.push(child);
    }
  }
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) for (const d of n.deps) if (ids.has(d)) edges.push({ from: d, to: n.id, kind: "dep" });
  return { nodes, edges };
}

/**
 * The work dagre does for a graph, in nodes: one per job plus one dummy per rank each edge crosses (ranks by longest
 * path from the sources, like dagre's first pass).
 * @param {{ nodes: Array<{ id: string }>, edges: Array<{ from: string, to: string }> }} graph
 * @returns {number}
 */
export function layoutCost({ nodes, edges }) {
  /** @type {Map<string, number>} */
  const rank = new Map(nodes.map((n) => [n.id, 0]));
  /** @type {Map<string, number>} */
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  /** @type {Map<string, string[]>} */
  const out = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) {
    out.get(e.from)?.push(e.to);
    indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
  }
  const ready = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  while (ready.length > 0) {
    const id = /** @type {string} */ (ready.pop());
    for (const to of out.get(id) ?? []) {
      rank.set(to, Math.max(rank.get(to) ?? 0, (rank.get(id) ?? 0) + 1));
      const left = (indegree.get(to) ?? 0) - 1;
      indegree.set(to, left);
      if (left === 0) ready.push(to);
    }
  }
  let dummies = 0;
  for (const e of edges) dummies += Math.max(0, (rank.get(e.to) ?? 0) - (rank.get(e.from) ?? 0) - 1);
  return nodes.length + dummies;
}

/**
 * What the panel says of a tree besides drawing it: how many jobs it shows, and which of them the server cut short
 * (past 8 levels or 1,000 jobs, a node's other children are left out and it carries `truncated`).
 * @param {any[]} nodes
 */
export function treeNote(nodes) {
  const cut = nodes.filter((n) => n.truncated).length;
  const shown = `${nodes.length} ${nodes.length === 1 ? "job" : "jobs"} shown`;
  const more = `${cut === 1 ? "1 job has" : `${cut} jobs have`} more children than one tree read sends (marked “…”)`;
  return cut ? `${shown}; ${more}: open one to see them.` : `${shown}.`;
}
