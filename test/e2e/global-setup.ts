/**
 * Once per end-to-end run, before any test file: the two things every local server the harness starts would
 * otherwise make again from the same sources — the Worker's production bundle (`wrangler deploy --dry-run`) and a
 * state directory with every D1 migration applied (scripts/d1-migrations). Together several seconds on a loaded 2-core
 * machine, paid at every start and every restart.
 *
 * The harness (test/e2e/harness.ts) serves this bundle and copies this state into each server's fresh directory;
 * what runs is byte for byte what a start of its own would have built. `npm start` and `npm run dev`
 * (test/e2e/demo) still bundle and migrate themselves: that path keeps its own test.
 *
 * Provides `e2eBundle` (the bundle's `index.js`) and `e2eMigratedState` (a directory to copy), both absolute.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { applyMigrations } from "../../scripts/d1-migrations.ts";
import { bundleWorker } from "../../scripts/local-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2eBundle: string;
    e2eMigratedState: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(path.join(tmpdir(), "gf-e2e-once-"));
  const state = path.join(dir, "state");
  // Independent: side by side.
  const [bundle] = await Promise.all([bundleWorker(path.join(dir, "bundle")), applyMigrations(state)]);
  project.provide("e2eBundle", bundle);
  project.provide("e2eMigratedState", state);
  return () => rmSync(dir, { recursive: true, force: true });
}
