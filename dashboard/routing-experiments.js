// routing-experiments.js — the experiments of the routing page (issue 11 part 5): one card per experiment with its
// two arms (policy, counted jobs — one outcome each —, success rate, mean cost), the decision, a Stop button for a
// live one (operators, audited), and a uPlot chart of the arms over time — cumulative counted jobs per arm and their success rates — from the
// bounded series of GET …/routing/experiments. Stable ids: `experiment-<id>`, `experiment-chart-<id>` (with data-a-n
// and data-b-n, the plotted last counts), `experiment-stop-<id>`, `experiment-decision-<id>`.

import { CHANGED, EXPERIMENTS } from "./answers.js";
import { api, describeError } from "./api.js";
import { armPolicyText } from "./arm-policy.js";
import { busyAttr, setBusy } from "./busy.js";
import { focusReturn, h, redrawKeepingFocus, replace, showError, showLoadError, statusLine } from "./dom.js";
import { counted, wholePercent } from "./format.js";
import { armColumns, decisionText } from "./learned.js";
import { newestRead } from "./newest-read.js";
import { pressOver } from "./press-hold.js";
import { usdText } from "./usd.js";
import uPlot from "./vendor/uPlot.esm.js";

const CHART_HEIGHT = 200;

/** @param {number | null} x */
const pct = (x) => (x === null ? "—" : `${wholePercent(x)} %`);

/**
 * The experiments section: `el` to mount, `load()` to re-read, `destroy()` to drop the charts.
 * @param {import("./api.js").Session} session
 * @param {(id: string) => string} [factoryName] a factory's name by id (live.js), for the arms' rules
 */
export function experimentsSection(session, factoryName = (id) => id) {
  const status = statusLine();
  status.tabIndex = -1; // focus lands on the outcome when a stopped experiment's Stop is gone
  const list = h("div", { id: "routing-experiments" });
  const el = h("div", null, h("h2", null, "Experiments"), status, list);
  /** @type {Map<string, any>} uPlot instances by experiment id */
  const charts = new Map();
  /**
   * The experiments whose Stop is out: their button is drawn busy (busy.js) until the answer, also on a redraw meanwhile.
   * A double click sent a second stop, whose `changed: false` ("Already stopped") replaced the first one's "Stopped".
   * @type {Set<string>}
   */
  const stopping = new Set();
  /** False once the page is left: a read answered after that draws nothing (its charts' listeners would stay). */
  let alive = true;

  /** @param {any} e */
  const chart = (e, /** @type {HTMLElement} */ box) => {
    const data = armColumns(e.series);
    const last = e.series[e.series.length - 1];
    Object.assign(box.dataset, {
      aN: String(last?.A.n ?? 0),
      bN: String(last?.B.n ?? 0),
      points: String(e.series.length),
    });
    if (e.series.length === 0) return;
    charts.get(e.id)?.destroy();
    charts.set(
      e.id,
      new uPlot(
        {
          width: Math.max(320, box.clientWidth || 560),
          height: CHART_HEIGHT,
          scales: { rate: { range: [0, 100] } },
          series: [
            {},
            { label: "A jobs", stroke: "#2563eb", width: 2 },
            { label: "B jobs", stroke: "#d97706", width: 2 },
            { label: "A ok %", stroke: "#2563eb", dash: [4, 4], scale: "rate" },
            { label: "B ok %", stroke: "#d97706", dash: [4, 4], scale: "rate" },
          ],
          axes: [{}, {}, { scale: "rate", side: 1, values: (_u, ticks) => ticks.map((t) => `${t} %`) }],
        },
        data,
        box,
      ),
    );
  };

  /** @param {any} e */
  const card = (e) => {
    const box = h("div", {
      id: `experiment-chart-${e.id}`,
      class: "experiment-chart",
      dataset: { testid: "experiment-chart" },
    });
    const stop =
      e.status === "stopped"
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "danger small",
              id: `experiment-stop-${e.id}`,
              "data-needs": "operator", // not drawn for a viewer (role.js)
              ...busyAttr(stopping.has(e.id)),
              "aria-label": `Stop experiment ${e.id}`,
              onclick: async (/** @type {Event} */ ev) => {
                if (stopping.has(e.id)) return;
                stopping.add(e.id);
                const button = () => document.getElementById(`experiment-stop-${e.id}`);
                const giveBack = focusReturn(/** @type {HTMLElement} */ (ev.currentTarget), status);
                setBusy(button(), true); // aria-disabled: a pressed Stop keeps keyboard focus (busy.js)
                try {
                  const path = `/routing/experiments/${encodeURIComponent(e.id)}/stop`;
                  const got = await api(session, path, { method: "POST", answer: CHANGED });
                  showError(status);
                  status.textContent = got.changed === false ? `Already stopped ${e.id}.` : `Stopped ${e.id}.`;
                  reads.overtake(); // a poll sent before the Stop, drawn before the re-read, drew it live again
                  await load();
                } catch (err) {
                  showError(status, describeError(err));
                } finally {
                  stopping.delete(e.id);
                  setBusy(button(), false);
                  giveBack(); // to Stop after a refusal, to the outcome once the experiment is stopped
                }
              },
            },
            "Stop",
          );
    const arm = (/** @type {"A" | "B"} */ k) => {
      const a = e.arms[k];
      const cost = a.meanCostUsd === null ? "" : ` · ${usdText(a.meanCostUsd)}/run`;
      return h(
        "li",
        { dataset: { arm: k } },
        h("strong", null, `Arm ${k}`),
        ` ${armPolicyText(a.policy, factoryName)} — n=${a.n} · ${pct(a.successRate)} ok${cost}`,
      );
    };
    const node = h(
      "article",
      {
        class: `card experiment experiment-${e.status}`,
        id: `experiment-${e.id}`,
        dataset: { testid: "experiment", status: e.status },
      },
      h(
        "div",
        { class: "card-head" },
        h("h3", null, `${e.id} · ${e.jobClass}`),
        h("span", { class: "badge" }, e.status),
      ),
      h(
        "p",
        { class: "muted" },
        `split ${e.split} to B · guardrail ${e.guardrail.metric}, margin ${e.guardrail.margin}, confidence ${e.guardrail.confidence} · ${counted(e.looks, "look")}`,
      ),
      h("ul", { class: "arms" }, arm("A"), arm("B")),
      h("p", { id: `experiment-decision-${e.id}`, dataset: { testid: "experiment-decision" } }, decisionText(e)),
      box,
      stop,
    );
    return { node, draw: () => chart(e, box) };
  };

  /**
   * The section's reads, numbered as sent: the page's poll sent before a Stop and answered after the Stop's own read
   * drew the experiment live again, with its Stop, until the next poll. No read older than one drawn draws.
   */
  const reads = newestRead();
  const load = async () => {
    const mine = reads.begin();
    try {
      const doc = await api(session, "/routing/experiments", { answer: EXPERIMENTS });
      await pressOver(); // a Stop redrawn by the page's poll between press and release lost the press (press-hold.js)
      if (!alive || !reads.newest(mine)) return; // overtaken: the newer read draws
      showLoadError(status);
      for (const c of charts.values()) c.destroy();
      charts.clear();
      if (doc.experiments.length === 0) {
        replace(
          list,
          h("p", { class: "muted" }, "No experiments. Start one with `gigafactory routing experiment start`."),
        );
        return;
      }
      const cards = doc.experiments.map(card);
      // Redrawn with the page's poll: keyboard focus on a Stop stays on it (it fell to the page's top).
      redrawKeepingFocus(list, () => replace(list, ...cards.map((c) => c.node)), status);
      for (const c of cards) c.draw(); // after mounting: uPlot measures its box
    } catch (err) {
      if (!alive || !reads.newest(mine)) return;
      showLoadError(status, `Cannot load experiments: ${describeError(err)}`);
    }
  };

  return {
    el,
    load,
    destroy: () => {
      alive = false;
      for (const c of charts.values()) c.destroy();
      charts.clear();
    },
  };
}
