/**
 * Once per end-to-end run, before any test file: the two things every local server the harness starts would
 * otherwise make again from the same sources — the Worker's production bundle (`wrangler deploy --dry-run`) and a
 * state directory with every D1 migration applied (scripts/d1-migrations). Together several seconds on a loaded 2-core
 * machine, paid at every start and every restart.
 *
 * The harness (test/e2e/harness.ts) serves this bundle and copies this state into each server's fresh directory;
 * what runs is byte for byte what a start of its own would have built. The bundle is the checkout's cached one
 * (scripts/bundle-cache `workerBundle`, built on a miss), the one `npm start` and `npm run dev` (test/e2e/demo …) serve:
 * under the same NODE_ENV (vitest's `test`, which their starts inherit) and sources it has the same key, so a run's
 * first `npm start` finds it built, where it bundled a second time. `GF_NO_BUNDLE_CACHE=1` bundles afresh here too.
 * Those starts still migrate themselves: that path keeps its own test.
 *
 * And one headless Chromium for the run (a Playwright browser server), which every dashboard file connects to instead
 * of launching its own: a launch and a close cost ~1.2-2 s each on that machine, paid by ~35 files. Each file still
 * gets browser contexts of its own (fresh cookies, storage and pages), and its `browser.close()` closes those and
 * disconnects, leaving the browser to the others (test/e2e/chromium.ts `launchChromium`).
 *
 * And wrangler.toml read once (scripts/wrangler-config): each runtime loads that read instead of wrangler itself,
 * ~1.7 CPU-s per start, ~70 starts per run.
 *
 * Stopped (SIGTERM, SIGINT: vitest exits at once, running no teardown) while it sets up, it leaves nothing: the
 * bundling wrangler run (it ignores SIGTERM) and the migrations' workerd are SIGKILLed and the temp dirs removed (its
 * own and the bundle cache's half-built one), in the exit's own synchronous moment; stopped later, the dir is removed the same way (Playwright stops the browser).
 *
 * Provides `e2eBundle` (the bundle's `index.js`), `e2eMigratedState` (a directory to copy), `e2eWranglerConfig` (the
 * read's JSON file), all absolute, and `e2eChromium` (the browser server's ws:// endpoint; "" when the Debian
 * Chromium is not installed).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import type { TestProject } from "vitest/node";
import { BUNDLE_CACHE_DIR, workerBundle } from "../../scripts/bundle-cache.ts";
import { applyMigrations } from "../../scripts/d1-migrations.ts";
import { descendants, isRunning } from "../../scripts/process-tree.ts";
import { readWranglerConfig, saveWranglerConfig } from "../../scripts/wrangler-config.ts";
import { CHROMIUM_FLAGS, CHROMIUM_PATH } from "./chromium.ts";

declare module "vitest" {
  export interface ProvidedContext {
    e2eBundle: string;
    e2eMigratedState: string;
    e2eChromium: string;
    e2eWranglerConfig: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = mkdtempSync(path.join(tmpdir(), "gf-e2e-once-"));
  const state = path.join(dir, "state");
  const wranglerConfig = path.join(dir, "wrangler-config.json");
  // Whatever runs under vitest now is not the set-up's (vite's own helpers): only what appears later is stopped.
  const before = new Set(descendants(process.pid));
  let settingUp = true;
  // Synchronous, at the exit itself: vitest's SIGTERM and SIGINT handlers exit a millisecond later, so nothing that
  // awaits would run (an AbortSignal's stop waits out wrangler's ignored SIGTERM).
  const onExit = () => {
    if (settingUp) for (const pid of descendants(process.pid)) if (!before.has(pid) && isRunning(pid)) kill(pid);
    if (settingUp) removeOwnBuilds(); // a cached bundle half built: its temp dir, never renamed into place
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);
  // Without the binary, files that use no browser still run; one that does fails at its own launch, saying why.
  // Playwright stops the browser when this process gets SIGINT, SIGTERM or SIGHUP (its handle* options' default).
  const browser = existsSync(CHROMIUM_PATH)
    ? chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_FLAGS })
    : undefined;
  // Independent: side by side. A failed bundle or migration still closes a browser that did start.
  const started = await Promise.allSettled([
    workerBundle(dir), // the cache's, or with GF_NO_BUNDLE_CACHE=1 a fresh one in dir/bundle
    applyMigrations(state),
    browser,
    readWranglerConfig().then((read) => saveWranglerConfig(wranglerConfig, read)),
  ]);
  settingUp = false;
  const teardown = async () => {
    await browser?.then((b) => b.close()).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    process.off("exit", onExit);
  };
  const failed = started.find((r) => r.status === "rejected");
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [bundle, , server] = started.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  project.provide("e2eBundle", bundle as string);
  project.provide("e2eMigratedState", state);
  project.provide("e2eWranglerConfig", wranglerConfig);
  project.provide("e2eChromium", (server as { wsEndpoint(): string } | undefined)?.wsEndpoint() ?? "");
  return teardown;
}

/** The bundle cache's temp dirs this process was building in (scripts/bundle-cache names them `.tmp-PID-…`). */
function removeOwnBuilds(): void {
  const mine = `.tmp-${process.pid}-`;
  const names = existsSync(BUNDLE_CACHE_DIR) ? readdirSync(BUNDLE_CACHE_DIR) : [];
  for (const n of names.filter((n) => n.startsWith(mine)))
    rmSync(path.join(BUNDLE_CACHE_DIR, n), { recursive: true, force: true });
}

function kill(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* gone meanwhile */
  }
}
