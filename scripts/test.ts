/**
 * @module scripts/test
 * `npm test`: the three layers — unit (Node) and integration (workerd) side by side, then end-to-end (real local
 * server) from the moment the unit layer has passed, beside the integration layer's rest — their output one layer
 * after the other; then one closing line `N passed, N failed` over all of them. A failing unit layer starts no e2e.
 *
 * Why side by side: on CI's two cores neither of the first two keeps both busy alone. The unit layer's time is mostly
 * agents' real processes, sample engines and git runs waited for; the integration layer's is mostly each file's
 * workerd loading the Worker's modules from vitest's one process. Each alone used 159 and 346 CPU-s (pass 38, a loaded
 * box), where a quiet fresh-clone run takes 125 and 287 s of wall time: about 1.3 and 1.2 of its 2 cores. Why e2e
 * starts when the unit layer ends: that layer ends first (pass 39's quiet run: 210 s of integration's 423 s), and from
 * then the integration layer alone left most of a core idle for ~200 s while e2e (484 s, its files waiting on real
 * time: agents, leases, browsers) waited for it. The three files of e2e that load the machine on purpose (`load`,
 * `drain`, `push`) still run last and alone within it, long after the integration layer has ended.
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { errorLine } from "../src/shared/fixable-error.ts";
import { E2E_SERVER_LOGS, ROOT, toolEnv } from "./local-server.ts";
import { printServerLogs } from "./server-logs.ts";
import { countLayer } from "./test-report.ts";
import { runSideBySide } from "./test-side-by-side.ts";

const LAYERS = [
  ["unit", "vitest.unit.config.ts"],
  ["integration", "vitest.workers.config.ts"],
  ["e2e", "vitest.e2e.config.ts"],
] as const;

const only = process.argv.slice(2);
// A misspelt layer (`npm test -- unti`) would run nothing and report "0 failed": refuse it instead.
const unknown = only.filter((name) => !LAYERS.some(([layer]) => layer === name));
if (unknown.length > 0) {
  const message = `no test layer named ${unknown.map((n) => `"${n}"`).join(", ")}`;
  console.error(errorLine({ code: "usage", message, fix: "run `npm test [-- unit|integration|e2e ...]`" }));
  process.exit(2);
}
const outDir = path.join(ROOT, ".tmp", "test-results");
mkdirSync(outDir, { recursive: true });
// Written by test/e2e/harness.ts: each local server's own output, shown when the layer fails.
rmSync(E2E_SERVER_LOGS, { recursive: true, force: true });

let passed = 0;
let failed = 0;
let skipped = 0;
const selected = LAYERS.filter(([name]) => only.length === 0 || only.includes(name));
const reportOf = (name: string) => path.join(outDir, `${name}.json`);
// A layer that crashes before writing its report was counted from the last run's: "N passed" of another run.
for (const [name] of selected) rmSync(reportOf(name), { force: true });
// e2e waits for the layer that ends first (the unit layer, else the integration layer): never beside both.
const firstOf = (name: string) => selected.findIndex(([n]) => n === name);
const e2eAfter = firstOf("unit") >= 0 ? firstOf("unit") : firstOf("integration");
const statuses = await runSideBySide(
  selected.map(([name, config]) => ({
    header: `\n▶ ${name} tests (${config})`,
    command: path.join(ROOT, "node_modules", ".bin", "vitest"),
    args: ["run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${reportOf(name)}`],
    cwd: ROOT,
    env: toolEnv(),
    ...(name === "e2e" && e2eAfter >= 0 ? { after: e2eAfter } : {}),
  })),
);
// A layer never started (e2e after a failed unit layer) counts nothing: the failure that kept it out is counted.
const counts = selected.map(([name], i) =>
  statuses[i] === null ? undefined : countLayer(statuses[i] ?? 1, reportOf(name)),
);
for (const c of counts) {
  passed += c?.passed ?? 0;
  failed += c?.failed ?? 0;
  skipped += c?.skipped ?? 0;
}
const failing = selected.filter((_, i) => counts[i]?.failing).map(([name]) => name);
if (failing.length > 0) {
  if (failing.includes("e2e")) printServerLogs(E2E_SERVER_LOGS);
  const notRun = selected.filter((_, i) => statuses[i] === null).map(([name]) => name);
  console.log(`\n✘ ${failing.join(" and ")} tests failed${notRun.length > 0 ? ` (${notRun.join(", ")} not run)` : ""}`);
  console.log(`${passed} passed, ${Math.max(failed, 1)} failed, ${skipped} skipped`);
  process.exit(statuses.find((s) => s !== null && s !== 0) ?? 1);
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
