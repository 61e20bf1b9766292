/**
 * The two outputs: the one JSON object `--json` promises (figures that could
 * not be measured are null, never invented), and the human table.
 */
import type { Counts } from "./counts.ts";
import type { FanoutResult } from "./feed-fanout.ts";
import type { GrowthCell } from "./growth.ts";
import { growthJson, growthTable } from "./growth-report.ts";
import type { IdleResult } from "./idle-connections.ts";
import type { Machine } from "./machine.ts";
import type { PacedResult } from "./paced-dispatch.ts";
import type { Window } from "./proc-tree.ts";
import type { RecoveryResult } from "./recovery.ts";
import type { ThroughputResult } from "./throughput.ts";

export interface Scenario<T> {
  /** Not run (`--only` left it out): every figure is null. */
  skipped?: boolean;
  value?: T;
  error?: string;
  /** Set when the runtime died while this scenario ran: its figures are partial. */
  crashed?: string;
  /** Runtime memory/CPU while it ran, and this process's own CPU. */
  window?: Window & { benchCpuPct: number };
  /** Time spent waiting for the runtime to go quiet before it started. */
  settledMs?: number;
}

export interface Results {
  counts: Counts;
  startedAt: Date;
  runtimeSeconds: number;
  machine: Machine;
  peakRssMb: number;
  /** workerd restarts during the run: any makes the figures suspect. */
  restarts: number;
  /** Times the local server died mid-scenario (and was started afresh for the next one). */
  crashes: number;
  /** 1/5/15-minute load averages: other work on the machine skews every figure. */
  loadAvg: { start: number[]; end: number[] };
  latency: Scenario<PacedResult>;
  throughput: Scenario<ThroughputResult>;
  recovery: Scenario<RecoveryResult>;
  fanout: Scenario<FanoutResult>;
  idle: Scenario<IdleResult>;
  /** Scenario 7, one entry per (depth, fleet) cell; empty when skipped. */
  growth: Array<Scenario<GrowthCell>>;
}

export function toJson(r: Results) {
  const lat = r.latency.value?.latencyMs;
  const tp = r.throughput.value;
  const fan = r.fanout.value?.latencyMs;
  const idle = r.idle.value;
  return {
    dispatchLatencyMs: { p50: lat?.p50 ?? null, p95: lat?.p95 ?? null, p99: lat?.p99 ?? null, max: lat?.max ?? null },
    throughputJobsPerSec: tp?.jobsPerSec ?? null,
    workerdCpuUsPerJob: tp?.cpu?.usPerJob ?? null,
    ceilingJobsPerSecOneObject: tp?.cpu?.ceilingJobsPerSec ?? null,
    duplicates: tp?.duplicates ?? null,
    missing: tp?.missing ?? null,
    recoveryMs: r.recovery.value?.recoveryMs ?? null,
    fanoutLatencyMs: { p50: fan?.p50 ?? null, p99: fan?.p99 ?? null },
    idleConnections: { count: idle?.connected ?? null, dispatchP99Ms: idle?.dispatch?.latencyMs.p99 ?? null },
    // Null when --only left growth out (README: a skipped scenario's figures are null), not `{cells: [], checks: []}`.
    growth: r.growth.length > 0 ? growthJson(r.growth) : null,
    peakRssMb: Math.round(r.peakRssMb),
    machine: r.machine,
    skipped: [
      ...(["latency", "throughput", "recovery", "fanout", "idle"] as const).filter((k) => r[k].skipped),
      // Growth is cells, one per run: none run is growth left out by --only.
      ...(r.growth.length === 0 ? ["growth" as const] : []),
    ],
  };
}

type Row = [string, string, string];

const ms = (x: number | null | undefined) => (x === null || x === undefined ? "–" : `${x}`);

function cpuLine(s: Scenario<unknown>): string {
  const w = s.window;
  if (!w) return "–";
  const procs = w.cpu
    .filter((p) => p.pct >= 1)
    .sort((a, b) => b.pct - a.pct)
    .map((p) => `${p.comm} ${p.pct}%`);
  return `${procs.join(", ") || "idle"}; bench client ${w.benchCpuPct}%`;
}

function common(s: Scenario<unknown>): Row[] {
  const rows: Row[] = [];
  if (s.skipped) rows.push(["", "skipped", "not in --only"]);
  if (s.crashed) rows.push(["", "CRASHED (figures partial)", s.crashed]);
  if (s.error) rows.push(["", "ERROR", s.error]);
  if (s.window) {
    if (s.window.restarts) rows.push(["", "WARNING runtime restarts", `${s.window.restarts} — figures not valid`]);
    rows.push(["", "wall time (s)", s.window.seconds.toFixed(1)]);
    rows.push(["", "runtime peak RSS (MB)", `${s.window.peakRssMb}`]);
    rows.push(["", "CPU (% of one core)", cpuLine(s)]);
  }
  return rows;
}

function pacedRows(p: PacedResult): Row[] {
  const l = p.latencyMs;
  const s = p.sentToAssignMs;
  const rows: Row[] = [
    [
      "",
      "jobs assigned / sent / offered",
      `${p.assigned} / ${p.submitted} / ${p.offered} (${p.accepted} answered 201)`,
    ],
    ["", "dispatch latency p50 / p95 / p99 / max (ms)", `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} / ${ms(l.max)}`],
    ["", "send lag: latest send vs. schedule (ms)", `${p.maxSendLagMs}`],
    ["", "sent → assigned p50 / p99 (ms)", `${ms(s.p50)} / ${ms(s.p99)}`],
    ["", "send span (s)", `${p.sendSeconds}`],
  ];
  if (p.httpErrors) rows.push(["", "submit errors", `${p.httpErrors} (first: ${p.firstError})`]);
  return rows;
}

const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");

export function table(r: Results): string {
  const rows: Row[] = [];
  const head = (title: string) => rows.push([title, "", ""]);

  head("1 dispatch latency");
  if (r.latency.value) rows.push(...pacedRows(r.latency.value));
  rows.push(...common(r.latency));

  head("2 throughput");
  const tp = r.throughput.value;
  if (tp) {
    rows.push(
      ["", "jobs completed / submitted", `${tp.completed} / ${tp.submitted} (${tp.accepted} accepted)`],
      ["", "throughput (jobs/s)", `${tp.jobsPerSec}`],
      ["", "first submit → last completion (s)", `${tp.seconds}`],
      ["", "bulk submit span (s)", `${tp.submitSeconds}`],
      ["", "duplicates / missing", `${tp.duplicates} / ${tp.missing}`],
      ["", "wait ended", tp.ended],
    );
    if (tp.firstError) rows.push(["", "submit errors", tp.firstError]);
    const c = tp.cpu;
    if (c) {
      rows.push(
        [
          "",
          "workerd CPU per job (µs): run + tail ÷ completed",
          `${c.usPerJob ?? "–"} (${c.runMs} + ${c.tailMs} ms${c.tailSettled ? "" : ", tail cut short at 30 s"})`,
        ],
        ["", "one-object ceiling (jobs/s) = 1e6 ÷ µs/job", `≤ ${c.ceilingJobsPerSec ?? "–"} (upper bound, see README)`],
      );
    }
  }
  rows.push(...common(r.throughput));

  head("3 recovery");
  const rc = r.recovery.value;
  if (rc) {
    rows.push(
      ["", "kill → re-pushed to the rescuer (ms)", ms(rc.recoveryMs)],
      ["", "lease TTL / left at kill (ms)", `${rc.ttlSeconds * 1000} / ${rc.leaseLeftAtKillMs}`],
      ["", "lease epoch before → after", `${rc.leaseEpochBefore} → ${rc.leaseEpochAfter ?? "–"}`],
      ["", "checkpoint carried over", rc.checkpointCarried ? "yes" : "no"],
    );
  }
  rows.push(...common(r.recovery));

  head("4 feed fan-out");
  const fo = r.fanout.value;
  if (fo) {
    const l = fo.latencyMs;
    rows.push(
      ["", "watchers ready / opened", `${fo.watchersReady} / ${fo.watchers} (all ready in ${fo.openMs} ms)`],
      ["", "deliveries received / expected", `${fo.received} / ${fo.expected} (${fo.events} events)`],
      ["", "latency p50 / p95 / p99 / max (ms)", `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)} / ${ms(l.max)}`],
    );
  }
  rows.push(...common(r.fanout));

  head("5 idle connections");
  const id = r.idle.value;
  if (id) {
    rows.push(
      ["", "idle factories connected / requested", `${id.connected} / ${id.count}`],
      ["", "enroll all (ms)", `${id.enrollMs}`],
      ["", "connect all: first connect → last welcome (ms)", `${id.connectMs}`],
    );
    if (id.connectErrors) rows.push(["", "errors", `${id.connectErrors} (first: ${id.firstError})`]);
    if (id.dispatch) rows.push(...pacedRows(id.dispatch));
  }
  rows.push(...common(r.idle));

  rows.push(["6 peak RSS", "runtime (Node + workerd), whole run (MB)", `${Math.round(r.peakRssMb)}`]);

  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const m = r.machine;
  const lines = [
    `Gigafactory benchmark — ${r.startedAt.toISOString()} — ${r.counts.name} counts — ${r.runtimeSeconds.toFixed(0)} s`,
    `machine: ${m.cpus.count} × ${m.cpus.model}, ${m.totalMemGb} GB, node ${m.node}, ${m.os}`,
    `load average (1/5/15 min) at start ${fmtLoad(r.loadAvg.start)}, at end ${fmtLoad(r.loadAvg.end)}`,
    ...(r.crashes ? [`WARNING: the local server died ${r.crashes}× during the run (see CRASHED rows)`] : []),
    ...(r.restarts ? [`WARNING: the runtime was restarted ${r.restarts}× during the run; rerun`] : []),
    "",
    `${"scenario".padEnd(w0)}  ${"figure".padEnd(w1)}  value`,
    `${"-".repeat(w0)}  ${"-".repeat(w1)}  ${"-".repeat(20)}`,
    ...rows.map(([a, b, c]) => (b === "" ? a : `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`)),
    ...(r.growth.length ? growthTable(r.growth) : ["", "7 growth", "  skipped (not in --only)"]),
  ];
  return `${lines.join("\n")}\n`;
}
