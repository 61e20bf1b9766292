/*
 * dag.js — the DAG view of a composite job in its detail page: the job's tree (GET …/jobs/<id>/tree) laid out
 * top-down by @dagrejs/dagre (vendored, loaded only when a job has children), one SVG box per job coloured by
 * stage with its waiting reason as tooltip, a dashed edge parent → child and a solid arrow dep → dependent.
 * Clicking a box opens that job. A tree too costly to lay out (a 200-job chain under its parent took dagre 6 s, a
 * 999-job one never finished) is listed as an outline instead; the panel says how many jobs it shows.
 */

import { TREE } from "./answers.js";
import { api, describeError, jobPath, transient } from "./api.js";
import { commandText } from "./command-words.js";
import { graphOf, LAYOUT_BUDGET, layoutCost, treeNote } from "./dag-graph.js";
import {
  h,
  isolated,
  redrawKeepingFocus,
  replace,
  shortText,
  showLoadError,
  stageLabel,
  statusLine,
  titleText,
} from "./dom.js";
import { counted } from "./format.js";
import { newestRead } from "./newest-read.js";
import { pressOver } from "./press-hold.js";
import { scrollBox } from "./scroll-box.js";

const SVG = "http://www.w3.org/2000/svg";
/** Box size in px: room for ~26 characters of title on one line and the stage below it. */
const NODE_W = 190;
const NODE_H = 46;
const TITLE_CHARS = 26;

/**
 * An SVG element (dom.js `h` makes HTML elements, which an <svg> does not render).
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {...(Node | string)} children
 */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/**
 * The outline of a tree too large to draw: nested lists of links, each job with its stage.
 * @param {any} root
 */
export function renderOutline(root) {
  /** @param {any} n */
  const item = (n) =>
    h(
      "li",
      { dataset: { job: n.id } },
      h("a", { href: `#${jobPath(n.id)}`, "data-focus-key": `dag:${n.id}` }, titleText(n.title)),
      ` · ${stageLabel(n.stage)}${n.truncated ? " · …" : ""}`,
    );
  const top = h("ul", { class: "dag-outline" });
  // Iterative, so a chain 8 levels deep or a star of 1,000 costs no recursion.
  /** @type {Array<[any, HTMLElement]>} */
  const stack = [[root, top]];
  while (stack.length > 0) {
    const [n, list] = /** @type {[any, HTMLElement]} */ (stack.pop());
    const li = item(n);
    list.append(li);
    if (n.children.length > 0) {
      const sub = h("ul");
      li.append(sub);
      for (const child of n.children.toReversed()) stack.push([child, sub]);
    }
  }
  return top;
}

/**
 * The laid-out SVG of a tree's graph.
 * @param {any} dagre the vendored module's default export
 * @param {ReturnType<typeof graphOf>} graph
 */
export function renderDag(dagre, { nodes, edges }) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 44, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  for (const e of edges) g.setEdge(e.from, e.to, {}, e.kind);
  dagre.layout(g);
  const { width, height } = g.graph();
  const svg = s("svg", {
    class: "dag",
    viewBox: `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`,
    width: Math.ceil(width),
    role: "img",
    "aria-label": `Dependency graph of ${counted(nodes.length, "job")}`,
  });
  svg.append(
    s(
      "defs",
      {},
      s(
        "marker",
        {
          id: "dag-arrow",
          viewBox: "0 0 10 10",
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: "auto-start-reverse",
        },
        s("path", { d: "M0,0 L10,5 L0,10 z", class: "dag-arrow" }),
      ),
    ),
  );
  for (const e of edges) {
    const points = g.edge(e.from, e.to, e.kind).points;
    const d = points
      .map((/** @type {{x: number, y: number}} */ p, /** @type {number} */ i) => `${i ? "L" : "M"}${p.x},${p.y}`)
      .join(" ");
    svg.append(
      s("path", {
        d,
        class: `dag-edge dag-${e.kind}`,
        ...(e.kind === "dep" ? { "marker-end": "url(#dag-arrow)" } : {}),
      }),
    );
  }
  for (const n of nodes) {
    const { x, y } = g.node(n.id);
    const title = shortText(titleText(n.title), TITLE_CHARS);
    const outside = n.deps.filter((/** @type {string} */ d) => !nodes.some((m) => m.id === d));
    const tip = [
      `${isolated(n.title)} — ${stageLabel(n.stage)}`, // isolated: an override in it must not turn " — queued" round
      n.waitingReason ? `waiting: ${isolated(commandText(n.waitingReason.message, { jobId: n.id }))}` : "",
      outside.length ? `deps outside this tree: ${outside.join(", ")}` : "",
      n.truncated ? "more children: open this job" : "",
    ].filter(Boolean);
    svg.append(
      s(
        "a",
        {
          href: `#${jobPath(n.id)}`,
          class: `dag-node stage-${n.stage}`,
          "data-job": n.id,
          "data-focus-key": `dag:${n.id}`,
        },
        s("title", {}, tip.join("\n")),
        s("rect", { x: x - NODE_W / 2, y: y - NODE_H / 2, width: NODE_W, height: NODE_H, rx: 6 }),
        s("text", { x, y: y - 4, class: "dag-title" }, title),
        s(
          "text",
          { x, y: y + 13, class: "dag-stage" },
          `${stageLabel(n.stage)}${n.kind === "composite" ? " · composite" : ""}${n.truncated ? " · …" : ""}`,
        ),
      ),
    );
  }
  return svg;
}

/**
 * The panel: hidden until the job turns out to have children; `load` reads the tree again (the detail page calls
 * it when the feed reports a stage change), `update` tells it the job as read. A failed read is shown in the panel,
 * which is shown for it while the job may have children (a composite, or not read yet): the error went into the
 * hidden panel, so a tree that could not be read was never seen. A task has none (it turns composite when it gets
 * some, and `job.children` reads the tree again). `failed` says the last read failed in a way that may pass, so the
 * page's next tick reads again.
 * @param {import("./api.js").Session} session
 * @param {string} jobId
 */
export function dagPanel(session, jobId) {
  // A tab stop of its own (scroll-box.js), named: a graph wider or taller than its box scrolls, and Tab through its
  // nodes scrolls only to each node in turn — the arrows between them and the graph's shape were a pointer's alone.
  // Focused, arrow keys scroll it. Before its nodes in Tab order, as a table's box is before its links.
  const body = scrollBox("dag-wrap", "Children graph", null);
  const status = statusLine();
  const panel = h(
    "section",
    { class: "panel", "aria-labelledby": "dag-title", hidden: true },
    h("div", { class: "panel-head" }, h("h2", { id: "dag-title" }, "Children")),
    status,
    body,
  );
  /** The job's kind once read ("" before): a task's panel stays hidden whatever its tree read did. */
  let kind = "";
  /** The last tree read drew children. */
  let drawn = false;
  /** The last read failed: its error is in the status line. */
  let error = false;
  let retry = false;
  const show = () => {
    panel.hidden = !(drawn || (error && kind !== "task"));
  };
  const reads = newestRead();
  const load = async () => {
    const mine = reads.begin();
    try {
      const { root } = await api(session, `${jobPath(jobId)}/tree`, { answer: TREE });
      await pressOver(); // a child's link redrawn by a version's read between press and release lost it (press-hold.js)
      if (!reads.newest(mine)) return; // overtaken: the newer read draws (job-reads.js)
      showLoadError(status); // the read worked: an error from an earlier try (server down) is over, shown or not
      error = retry = false;
      if (root.children.length === 0) {
        drawn = false;
        show();
        return;
      }
      const graph = graphOf(root);
      const note = h("p", { class: "muted small dag-note" }, treeNote(graph.nodes));
      if (layoutCost(graph) > LAYOUT_BUDGET) {
        note.append(" Too many to draw as a graph: listed as a tree.");
        redrawKeepingFocus(body, () => replace(body, note, renderOutline(root)));
      } else {
        const { default: dagre } = await import("./vendor/dagre.esm.js");
        // Re-read at every queue version (a child's stage moves it): keyboard focus on a job of the graph stays on
        // it (it fell to the page's top each time).
        redrawKeepingFocus(body, () => replace(body, note, renderDag(dagre, graph)));
      }
      showLoadError(status);
      drawn = true;
      show();
    } catch (err) {
      if (!reads.newest(mine)) return;
      error = true;
      retry = transient(err);
      showLoadError(status, `Cannot read this job's children: ${describeError(err)}`);
      show();
    }
  };
  /** The job as read: its kind decides whether a failed read is shown. @param {{ kind?: string | null }} job */
  const update = (job) => {
    kind = job.kind === "composite" ? "composite" : "task";
    show();
  };
  return { panel, load, update, failed: () => retry };
}
