/**
 * @module dashboard/budget-chart
 * The budget page's burndown (budget.js), drawn by uPlot (vendored): the spend as steps carried to now, the 80 %
 * warning and the 100 % ceiling as flat lines, and what the canvas holds exposed on its element for a browser test.
 */
import { usdTexts } from "./usd.js";
import uPlot from "./vendor/uPlot.esm.js";

const CHART_HEIGHT = 260;

/**
 * uPlot's columns from a budget: x in seconds, the spend (carried on flat to `now` so the line reaches the present),
 * and the two constant lines. Each burndown point is the moment spend reached `spentUsd` (a run's cost is charged at
 * a moment, charges in one minute coalesced): the chart draws the spend as steps (`SPEND_PATH`), flat from each point
 * to the next. Exported for a unit test.
 * @param {{ burndown: Array<{at: number, spentUsd: number}>, ceilingUsd: number, warnAtUsd: number, periodStart: number }} b
 * @param {number} now ms
 * @returns {[number[], number[], number[], number[]]}
 */
export function chartData(b, now) {
  const points = b.burndown.length > 0 ? [...b.burndown] : [{ at: b.periodStart, spentUsd: 0 }];
  const last = points[points.length - 1];
  if (now > last.at) points.push({ at: now, spentUsd: last.spentUsd });
  const xs = points.map((p) => p.at / 1000);
  return [xs, points.map((p) => p.spentUsd), xs.map(() => b.warnAtUsd), xs.map(() => b.ceilingUsd)];
}

/**
 * The y axis's labels, USD as every amount on the dashboard reads, side by side with one number of decimals (usd.js
 * `usdTexts`): built by hand as `$${t}`, a tick read "$0.6" beside "$0.4", and one under a micro-dollar "$1e-7".
 * @param {number[]} ticks USD @returns {string[]} one label per tick
 */
export const axisTexts = (ticks) => usdTexts(ticks);

/** uPlot's own width of a y axis, CSS px: kept for narrow labels, so a small budget's chart looks as it did. */
const AXIS_SIZE = 50;

/**
 * The y axis's width, CSS px: its widest label, its ticks and the gap beside them — uPlot's fixed 50 px drew "$500.00"
 * as "00.00" (its "$5" cut off at the canvas's edge). Exported for a unit test.
 * @param {string[] | null} labels the axis's labels (null before uPlot has ticks)
 * @param {(text: string) => number} width a label's width, CSS px (the canvas's measureText)
 * @param {number} around the ticks' length and the gap, CSS px
 * @returns {number} whole CSS px, at least AXIS_SIZE
 */
export function axisSize(labels, width, around) {
  const widest = Math.max(0, ...(labels ?? []).map(width));
  return labels?.length ? Math.max(AXIS_SIZE, Math.ceil(around + widest)) : AXIS_SIZE;
}

/**
 * The spend's line: a step after each point (uPlot's own stepped path, align 1: the value holds until the next x). A
 * straight line between points drew $0 at 00:00 to $0.60 at 15:35 as if spend had accrued all day, when both charges
 * came at 15:35.
 */
const SPEND_PATH = uPlot.paths.stepped({ align: 1 });

/**
 * After each canvas draw, what the chart holds goes on its element as data attributes: the spend it plots, the
 * levels of the two lines and the canvas rows (device px) they were drawn on, and the plot area's columns. The
 * canvas is opaque to the DOM; this lets a browser test (or a curious operator) check the lines without OCR. Rows:
 * device px from the canvas top, of the latest spend, $0, the warning and the ceiling.
 * @param {HTMLElement} plot the chart's element @param {any} u the uPlot instance
 */
const expose = (plot, u) => {
  const [xs, spentCol, warnCol, ceilingCol] = u.data;
  const warn = warnCol[0];
  const top = ceilingCol[0];
  Object.assign(plot.dataset, {
    points: String(xs.length),
    spentUsd: String(spentCol[spentCol.length - 1]),
    warnUsd: String(warn),
    ceilingUsd: String(top),
    spentRow: String(Math.round(u.valToPos(spentCol[spentCol.length - 1], "y", true))),
    zeroRow: String(Math.round(u.valToPos(0, "y", true))),
    warnRow: String(Math.round(u.valToPos(warn, "y", true))),
    ceilingRow: String(Math.round(u.valToPos(top, "y", true))),
    plotLeft: String(Math.round(u.bbox.left)),
    plotWidth: String(Math.round(u.bbox.width)),
  });
};

/**
 * The burndown in `plot`: `draw(b)` plots budget `b` (made on the first draw, its data replaced after), `destroy()`
 * lets it go. @param {HTMLElement} plot @param {() => number} ceilingUsd the budget's ceiling now (the y range's top)
 */
export function burndownChart(plot, ceilingUsd) {
  /** @type {any} */
  let chart = null;
  return {
    /** @param {any} b a budget (answers.js BUDGET) */
    draw(b) {
      const data = chartData(b, Date.now());
      if (chart) {
        chart.setData(data);
        return;
      }
      chart = new uPlot(
        {
          width: Math.max(320, plot.clientWidth || 640),
          height: CHART_HEIGHT,
          scales: { y: { range: (_u, _min, max) => [0, Math.max(max, ceilingUsd() * 1.1)] } },
          series: [
            {},
            { label: "spent (USD)", stroke: "#2563eb", width: 2, fill: "rgba(37, 99, 235, 0.1)", paths: SPEND_PATH },
            { label: "80 % warning", stroke: "#d97706", dash: [6, 4], points: { show: false } },
            { label: "100 % ceiling", stroke: "#dc2626", dash: [6, 4], points: { show: false } },
          ],
          axes: [
            {},
            {
              values: (_u, ticks) => axisTexts(ticks),
              // Sized from the labels (uPlot's axis autosize example): a later cycle keeps the size it settled on.
              size: (/** @type {any} */ u, /** @type {string[] | null} */ values, /** @type {number} */ i, cycle) => {
                const axis = u.axes[i];
                if (cycle > 1) return axis._size;
                u.ctx.font = axis.font[0];
                const width = (/** @type {string} */ t) => u.ctx.measureText(t).width / devicePixelRatio;
                return axisSize(values, width, axis.ticks.size + axis.gap);
              },
            },
          ],
          hooks: { draw: [(/** @type {any} */ u) => expose(plot, u)] },
        },
        data,
        plot,
      );
    },
    destroy: () => chart?.destroy(),
  };
}
