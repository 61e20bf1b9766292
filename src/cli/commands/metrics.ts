/**
 * @module cli/commands/metrics
 * `gigafactory metrics` shows the product's metrics (GET …/metrics) for a human: queue depth by stage, seats and
 * utilisation, dispatch latency p50/p99 (estimated from the histogram, core/metrics `quantileEstimate`; one in the
 * `+Inf` bucket reads "> 10 s"), lease expiries, retries, open alerts, budget, whether dispatch is paused and by whom,
 * breakers and each factory's success
 * rate; `--json` prints the JSON document as the API answers it (the buckets, `+Inf` included, not the estimates);
 * `--prometheus` prints the Prometheus text exposition verbatim (for a pipe into promtool or a file a node exporter's
 * textfile collector reads; on a terminal, control characters shown as pictures). `gigafactory stats` prints the
 * counts by stage and the queue version (GET …/stats).
 */

import { counted } from "../../core/counted.ts";
import { type QuantileEstimate, quantileEstimate } from "../../core/metrics.ts";
import { terminalText } from "../../core/terminal-text.ts";
import { usdTexts } from "../../core/usd-text.ts";
import type { MetricsSnapshot, StatsSnapshot } from "../../shared/api-metrics.ts";
import type { Command, Ctx } from "../context.ts";
import { usageError } from "../errors.ts";
import { exactDuration, percentNumber } from "../number-text.ts";
import { checked, MetricsRead, StatsRead } from "../read-answers.ts";
import { formatInstant, NONE, renderFields, renderTable } from "../table.ts";

const pct = (r: number) => `${percentNumber(r, 1)}%`;
const ms = (v: number) => `${Math.round(v * 10) / 10} ms`;
/** A quantile in the `+Inf` bucket is only known to exceed the last bound: "> 10 s", never "10000 ms" as if exact. */
function quantileText(q: QuantileEstimate | undefined): string {
  if (!q) return NONE;
  if (!q.over) return ms(q.ms);
  return q.ms >= 1000 ? `> ${q.ms / 1000} s` : `> ${ms(q.ms)}`;
}

/** Stages with at least one job, as `stage n` pairs (every stage when all are 0 would be noise: "none"). */
function depthLine(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${s} ${n}`);
  return parts.length ? parts.join(" · ") : "no jobs";
}

/**
 * A factory's row label: its name, and its id beside it when another row has the same name — a host revoked and
 * enrolled again under its name is two factories, the revoked one listed while a run of it ended in the window, and
 * the table read "box-2" twice with two different counts.
 */
function factoryLabel(f: { id?: string; name: string }, all: ReadonlyArray<{ name: string }>): string {
  const shared = all.filter((o) => o.name === f.name).length > 1;
  return shared && f.id !== undefined ? `${f.name} (${f.id})` : f.name;
}

/**
 * A breaker's factory as the factory table names it (its name; `name (id)` when shared), from the same answer's
 * factories — no fleet read; its id when the answer does not list it. The breakers table printed bare ids beside a
 * factory table of names (a newcomer, pass 41).
 */
function breakerFactory(id: string, all: ReadonlyArray<{ id?: string; name: string }>): string {
  const f = all.find((o) => o.id === id);
  return f ? factoryLabel(f, all) : id;
}

/**
 * "2/8 busy (25%) · 3 of them disconnected (links ended: 1 factory, any status)": seats counted in the total whose
 * factory's link ended (no live socket, not polling) — health is heartbeat-based and lags a closed socket by ~30 s,
 * so they are still in the total, named apart; absent when there are none (or from an older coordinator, which does
 * not say). `disconnectedFactories` counts every factory whose link ended, a draining or quarantined one too, whose
 * seats are not in the total: "3 of them on 2 disconnected factories" named a factory none of the 3 was on.
 */
function seatsText(s: Partial<MetricsSnapshot["seats"]> & Pick<MetricsSnapshot["seats"], "busy" | "total">): string {
  const base = `${s.busy}/${s.total} busy (${pct(s.utilisation ?? 0)})`;
  if (!s.disconnected) return base;
  const links = counted(s.disconnectedFactories ?? 0, "factory", "factories");
  return `${base} · ${s.disconnected} of them disconnected (links ended: ${links}, any status)`;
}

/**
 * Whether dispatch runs, and who paused it: an operator's pause needs no budget, so "budget none" alone hid a stopped
 * fleet. Undefined from an older coordinator, which does not say (the line is left out).
 */
function dispatchText(m: Partial<Pick<MetricsSnapshot, "dispatchPaused" | "dispatchPausedBy">>): string | undefined {
  if (m.dispatchPaused === undefined) return undefined;
  if (!m.dispatchPaused) return "running";
  return m.dispatchPausedBy === "exhausted"
    ? "paused: the budget is spent (`gigafactory budget` says what lifts it)"
    : "paused by an operator (`gigafactory budget resume` lifts it)";
}

/** The metrics as aligned fields, then a table of factories (and of breakers, when any is not closed). */
export function formatMetrics(m: MetricsSnapshot): string {
  const lat = m.dispatchLatencyMs;
  const alerts = m.openAlerts;
  const fields: Array<[string, string]> = [
    ["queue", depthLine(m.queue.depthByStage)],
    ["seats", seatsText(m.seats)],
    [
      "dispatch latency",
      // Due → lease (core/metrics): a job's wait for a capable factory or a seat counts — said, as the dashboard's
      // tooltip says it: one job that waited for its host read "p99 > 10 s" on an idle demo, as if the coordinator
      // were slow.
      `p50 ${quantileText(quantileEstimate(lat.buckets, 0.5))} · p99 ${quantileText(quantileEstimate(lat.buckets, 0.99))} · ${counted(lat.count, "dispatch", "dispatches")} (due → leased: waits for a factory or a seat count)`,
    ],
    ["lease expiries", String(m.leaseExpiries)],
    ["retries", String(m.retries)],
    ["open alerts", `${alerts.critical} critical · ${alerts.warning} warning · ${alerts.info} info`],
    [
      "budget",
      m.budget
        ? `${usdTexts([m.budget.spentUsd, m.budget.ceilingUsd]).join(" of ")} this ${m.budget.period} (${m.budget.state})`
        : NONE,
    ],
  ];
  const dispatch = dispatchText(m);
  if (dispatch) fields.push(["dispatch", dispatch]);
  const out = [renderFields(fields)];
  if (m.breakers.length) {
    out.push(
      "",
      renderTable(
        [
          { header: "FACTORY" },
          { header: "ENGINE" },
          { header: "BREAKER" },
          { header: "FAILURES", align: "right" },
          { header: "OPEN UNTIL" },
        ],
        m.breakers.map((b) => [
          breakerFactory(b.factoryId, m.factories),
          b.engine,
          b.state,
          String(b.consecutiveFailures),
          formatInstant(b.openUntil),
        ]),
      ),
    );
  }
  if (m.factories.length) {
    // Said exactly (a 90-min window read "RUNS 2h"); an older coordinator's answer has no window: "RUNS" alone.
    const window = m.factoryWindowMs === undefined ? "" : exactDuration(m.factoryWindowMs);
    out.push(
      "",
      renderTable(
        [
          { header: "FACTORY" },
          { header: window ? `RUNS ${window}` : "RUNS", align: "right" },
          { header: "OK", align: "right" },
          { header: "SUCCESS", align: "right" },
        ],
        m.factories.map((f) => [
          factoryLabel(f, m.factories),
          String(f.runs),
          String(f.successes),
          f.runs ? pct(f.successRate) : NONE,
        ]),
      ),
    );
  }
  return out.join("\n");
}

/**
 * Counts by stage as a two-column table with the total last, then the queue version — which `stats`' summary
 * promises and only --json showed (two reads with the same version: nothing moved between them).
 */
export function formatStats(s: StatsSnapshot): string {
  const rows = Object.entries(s.counts).map(([stage, n]) => [stage, String(n)]);
  rows.push(["total", String(s.total)]);
  const table = renderTable([{ header: "STAGE" }, { header: "JOBS", align: "right" }], rows);
  return `${table}\n\nqueue version ${s.queueVersion ?? NONE}`;
}

async function showMetrics(ctx: Ctx): Promise<number> {
  const client = ctx.client();
  if (ctx.flag("prometheus")) {
    if (ctx.json) throw usageError("--prometheus and --json each choose the output: give one", "metrics");
    const res = await client.send("GET", client.productUrl("/metrics", { format: "prometheus" }));
    const text = await res.text();
    // Verbatim into a pipe or a file (promtool, a textfile collector); on a terminal its control characters are shown,
    // not obeyed, as every other path of the CLI does (cli/commands/artifacts `stdoutSink`): the text is the server's.
    ctx.io.stdout(ctx.io.stdoutIsTTY ? terminalText(text) : text);
    return 0;
  }
  const res = await client.send("GET", client.productUrl("/metrics", { format: "json" }));
  const m = checked(MetricsRead, (await res.json()) as MetricsSnapshot, "a metrics document");
  if (ctx.json) ctx.emit(m);
  else ctx.print(formatMetrics(m));
  return 0;
}

export const metricsCommands: Command[] = [
  {
    path: ["metrics"],
    args: { names: "", min: 0, max: 0 },
    summary: "queue depth, seats, dispatch latency p50/p99, expiries, retries, alerts, factory success (viewer)",
    options: {
      prometheus: { type: "boolean", help: "print the Prometheus text exposition (0.0.4) instead" },
    },
    run: showMetrics,
  },
  {
    path: ["stats"],
    args: { names: "", min: 0, max: 0 },
    summary: "job counts by stage and the queue version, no job documents (viewer)",
    options: {},
    async run(ctx) {
      const client = ctx.client();
      const answer = (await (await client.send("GET", client.productUrl("/stats"))).json()) as StatsSnapshot;
      const s = checked(StatsRead, answer, "job counts by stage");
      if (ctx.json) ctx.emit(s);
      else ctx.print(formatStats(s));
      return 0;
    },
  },
];
