/**
 * @module scripts/test
 * `npm test`: the three layers in order — unit (Node), integration (workerd),
 * end-to-end (real local server) — each a vitest run, then one closing line
 * `N passed, N failed` over all of them. Stops at the first failing layer.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { errorLine } from "../src/shared/fixable-error.ts";
import { E2E_SERVER_LOGS, ROOT, toolEnv } from "./local-server.ts";
import { printServerLogs } from "./server-logs.ts";

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
for (const [name, config] of LAYERS) {
  if (only.length > 0 && !only.includes(name)) continue;
  const report = path.join(outDir, `${name}.json`);
  console.log(`\n▶ ${name} tests (${config})`);
  const run = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "vitest"),
    ["run", "--config", config, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`],
    { cwd: ROOT, env: toolEnv(), stdio: "inherit" },
  );
  try {
    const r = JSON.parse(readFileSync(report, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
    };
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += r.numPendingTests;
  } catch {
    failed += 1; // the layer crashed before reporting
  }
  if (run.status !== 0) {
    if (name === "e2e") printServerLogs(E2E_SERVER_LOGS);
    console.log(`\n✘ ${name} tests failed`);
    console.log(`${passed} passed, ${Math.max(failed, 1)} failed, ${skipped} skipped`);
    process.exit(run.status ?? 1);
  }
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
