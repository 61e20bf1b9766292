/**
 * The growth scenario's output: one table row per cell (fill time, dispatch p50/p99, throughput, workerd CPU
 * per job and its one-thread ceiling, each ratio to the baseline cell — the smallest depth and fleet), the
 * issue's two target checks as PASS/FAIL lines, and the same figures for `--json`. Figures that could not be
 * measured are null in JSON and "–" in the table.
 */
import type { GrowthCell } from "./growth.ts";
import type { Scenario } from "./report.ts";

/** Within this factor of the baseline, a growth target passes (issue 12's "within 2×"). */
const TARGET_RATIO = 2;

export interface GrowthCheck {
  name: string;
  /** The figures compared, as "cell vs baseline". */
  what: string;
  ratios: Record<string, number | null>;
  pass: boolean | null;
  note?: string;
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100;
const cellName = (c: { depth: number; fleet: number }) =>
  `depth ${c.depth.toLocaleString("en")} · ${c.fleet.toLocaleString("en")} factories`;
const p99 = (c?: GrowthCell) => c?.dispatch?.latencyMs.p99 ?? null;
/** A cell that left paced jobs undispatched fails its check whatever its p99: the missing ones have no latency. */
const starved = (c: GrowthCell) =>
  c.dispatch && c.dispatch.assigned < c.dispatch.submitted
    ? `${c.dispatch.assigned} of ${c.dispatch.submitted} paced jobs dispatched`
    : undefined;
const verdict = (ratios: Array<number | null>, c: GrowthCell): boolean | null =>
  starved(c) ? false : ratios.some((r) => r === null) ? null : ratios.every((r) => (r ?? 0) <= TARGET_RATIO);
const us = (c?: GrowthCell) => c?.throughput?.cpu?.usPerJob ?? null;

function notes(...xs: Array<string | undefined>): { note?: string } {
  const n = xs.filter(Boolean).join("; ");
  return n ? { note: n } : {};
}

function baseline(cells: Array<Scenario<GrowthCell>>): GrowthCell | undefined {
  const ok = cells.flatMap((s) => (s.value ? [s.value] : []));
  const d0 = Math.min(...ok.map((c) => c.depth));
  const f0 = Math.min(...ok.map((c) => c.fleet));
  return ok.find((c) => c.depth === d0 && c.fleet === f0);
}

/** The issue's two targets: idle fleet and deep queue, each against the baseline cell. */
export function growthChecks(cells: Array<Scenario<GrowthCell>>): GrowthCheck[] {
  const base = baseline(cells);
  const ok = cells.flatMap((s) => (s.value ? [s.value] : []));
  if (!base) return [];
  const checks: GrowthCheck[] = [];
  const bigFleet = ok.filter((c) => c.depth === base.depth).sort((a, b) => b.fleet - a.fleet)[0];
  if (bigFleet && bigFleet !== base) {
    const r = ratio(p99(bigFleet), p99(base));
    checks.push({
      name: `dispatch p99 with ${bigFleet.fleet} connected factories within ${TARGET_RATIO}× of ${base.fleet}`,
      what: `${p99(bigFleet) ?? "–"} ms vs ${p99(base) ?? "–"} ms`,
      ratios: { dispatchP99: r },
      pass: verdict([r], bigFleet),
      ...notes(
        bigFleet.connected < bigFleet.fleet ? `only ${bigFleet.connected} connected` : undefined,
        starved(bigFleet),
      ),
    });
  }
  const deep = ok.filter((c) => c.fleet === base.fleet).sort((a, b) => b.depth - a.depth)[0];
  if (deep && deep !== base) {
    const rp = ratio(p99(deep), p99(base));
    const ru = ratio(us(deep), us(base));
    checks.push({
      name: `dispatch cost at depth ${deep.depth.toLocaleString("en")} within ${TARGET_RATIO}× of depth ${base.depth}`,
      what: `p99 ${p99(deep) ?? "–"} vs ${p99(base) ?? "–"} ms; workerd ${us(deep) ?? "–"} vs ${us(base) ?? "–"} µs/job`,
      ratios: { dispatchP99: rp, usPerJob: ru },
      pass: verdict([rp, ru], deep),
      ...notes(deep.fill.capped ? `fill capped: ${deep.fill.capped}` : undefined, starved(deep)),
    });
  }
  return checks;
}

export function growthJson(cells: Array<Scenario<GrowthCell>>) {
  const base = baseline(cells);
  return {
    cells: cells.map((s) => {
      const c = s.value;
      return {
        depth: c?.depth ?? null,
        fleet: c?.fleet ?? null,
        error: s.error ?? s.crashed ?? null,
        fillMs: c?.fill.fillMs ?? null,
        fillCapped: c?.fill.capped ?? null,
        queuedAtMeasure: c?.queuedAtMeasure ?? null,
        connected: c?.connected ?? null,
        pacedAssigned: c?.dispatch?.assigned ?? null,
        pacedSubmitted: c?.dispatch?.submitted ?? null,
        throughputSkipped: c?.throughputSkipped ?? null,
        dispatchP50Ms: c?.dispatch?.latencyMs.p50 ?? null,
        dispatchP99Ms: p99(c),
        throughputJobsPerSec: c?.throughput?.jobsPerSec ?? null,
        usPerJob: us(c),
        ceilingJobsPerSec: c?.throughput?.cpu?.ceilingJobsPerSec ?? null,
        ratioDispatchP99: ratio(p99(c), p99(base)),
        ratioThroughput: ratio(c?.throughput?.jobsPerSec, base?.throughput?.jobsPerSec),
        ratioUsPerJob: ratio(us(c), us(base)),
      };
    }),
    checks: growthChecks(cells),
  };
}

const f = (x: number | null | undefined, suffix = "") => (x == null ? "–" : `${x.toLocaleString("en")}${suffix}`);

/** The growth table and the check lines, as text lines to print after the main table. */
export function growthTable(cells: Array<Scenario<GrowthCell>>): string[] {
  const j = growthJson(cells);
  const head = [
    "cell",
    "fill (s)",
    "queued",
    "dispatched",
    "p50 / p99 (ms)",
    "jobs/s",
    "µs/job",
    "ceiling/s",
    "× p99",
    "× jobs/s",
    "× µs",
  ];
  const rows = j.cells.map((c, i) => {
    const s = cells[i];
    const name = c.depth === null ? `cell ${i + 1}` : cellName({ depth: c.depth, fleet: c.fleet ?? 0 });
    if (!s?.value) return [name, `ERROR: ${c.error ?? "no figures"}`];
    return [
      `${name}${c.fillCapped ? " (capped)" : ""}`,
      c.fillMs === null ? "–" : (c.fillMs / 1000).toFixed(1),
      f(c.queuedAtMeasure),
      `${f(c.pacedAssigned)} / ${f(c.pacedSubmitted)}`,
      `${f(c.dispatchP50Ms)} / ${f(c.dispatchP99Ms)}`,
      f(c.throughputJobsPerSec),
      f(c.usPerJob),
      f(c.ceilingJobsPerSec),
      f(c.ratioDispatchP99, "×"),
      f(c.ratioThroughput, "×"),
      f(c.ratioUsPerJob, "×"),
    ];
  });
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => (r.length > 2 ? (r[k]?.length ?? 0) : 0))));
  const line = (r: string[]) => (r.length > 2 ? r.map((x, k) => x.padEnd(widths[k] ?? 0)).join("  ") : r.join("  "));
  const out = ["", "7 growth — cost against queue depth and fleet size (ratios to the first cell)", line(head)];
  out.push(widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line));
  for (const c of cells) {
    if (c.value?.fill.capped) out.push(`capped fill: ${cellName(c.value)}: ${c.value.fill.capped}`);
    if (c.value?.throughputSkipped) out.push(`no bulk run: ${cellName(c.value)}: ${c.value.throughputSkipped}`);
  }
  for (const c of j.checks) {
    const verdict = c.pass === null ? "N/A " : c.pass ? "PASS" : "FAIL";
    const rs = Object.entries(c.ratios)
      .map(([k, v]) => `${k} ${f(v, "×")}`)
      .join(", ");
    out.push(`${verdict} ${c.name}: ${rs} (${c.what})${c.note ? ` — ${c.note}` : ""}`);
  }
  return out;
}
