// Integration tests inside workerd: real Durable Object SQLite, D1, alarms.
import path from "node:path";
import { configDefaults, defineConfig, type TestProjectInlineConfiguration } from "vitest/config";
import { patchMiniflareDeflate } from "./scripts/patch-miniflare-deflate.ts";
import { patchPoolProxy } from "./scripts/patch-pool-proxy.ts";
import { patchPoolSerialize } from "./scripts/patch-pool-serialize.ts";
import { useFastSqliteTmpdir } from "./scripts/sqlite-tmpdir.ts";
import { SHARED_FILES } from "./vitest.workers.shared.ts";

// The pool's workerd inherits this process's environment: its SQLite sub-journals on tmpfs, as the local runtime's.
useFastSqliteTmpdir();
// The pool's wrapper classes install their prototype proxy once, not once per construction (upstream's fix, applied
// to the installed 0.23.0 before the pool starts a runtime): why, and the guard, in scripts/patch-pool-proxy.ts.
patchPoolProxy(import.meta.dirname);
// Its messages to a workerd escape strings natively, not one character at a time in JavaScript (a third of vitest's
// own CPU per isolated file): why, and the guard, in scripts/patch-pool-serialize.ts. The pool's module is imported
// below, after the rewrite, so that a fresh install's first run (CI's) loads it rewritten.
patchPoolSerialize(import.meta.dirname);
// The pool's socket to each workerd (miniflare's WebSocket client) offers no permessage-deflate: every module sent was
// deflated here and inflated there over loopback, ~1 CPU-s per isolated file — why, and the guard, in
// scripts/patch-miniflare-deflate.ts. Miniflare is loaded with the pool, below.
patchMiniflareDeflate(import.meta.dirname);

/**
 * The packages the Worker imports, each pre-bundled once into one module (Vite's dependency optimizer) instead of
 * loaded file by file: zod, drizzle-orm and hono are ~230 of the ~450 modules every test file's fresh workerd loads
 * before its first test, each fetched from Vite and compiled on its own. Every entry point the sources import is
 * listed, so that no package is ever loaded both ways (two copies of one class would fail `instanceof`).
 * prom-client is not: its core classes are CommonJS files imported one by one (src/worker/prometheus.ts).
 */
const PREBUNDLED = ["zod", "hono", "drizzle-orm", "drizzle-orm/d1", "drizzle-orm/sqlite-core", "drizzle-orm/batch"];

export default defineConfig(async () => {
  const { cloudflareTest, readD1Migrations } = await import("@cloudflare/vitest-pool-workers");
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  /** A project of this layer: the options below (`extends`), and its own pool plugin, which starts its runtimes. */
  const project = (test: TestProjectInlineConfiguration["test"]): TestProjectInlineConfiguration => ({
    extends: true,
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: { TEST_MIGRATIONS: migrations, GIGAFACTORY_ADMIN_TOKEN: "test-admin-token" },
        },
      }),
    ],
    test,
  });
  return {
    // Vite's caches (the pre-bundled packages, vitest's file timings) in this checkout, not in a shared node_modules.
    cacheDir: ".tmp/vite-cache",
    test: {
      setupFiles: ["test/integration/apply-migrations.ts"],
      deps: { optimizer: { ssr: { enabled: true, include: PREBUNDLED } } },
      // Two runtimes at a time on two cores, over both projects (they are one group: a worker freed by the last
      // isolated file takes the shared ones). Vitest's default is one fewer than the cores — a single worker on CI's two.
      maxWorkers: 2,
      // Tests wait for states, never for time: the timeout only ends a hang. 5 s (vitest's default) failed the two
      // longest files (~2.3 s alone on CI) now and then on a loaded machine with two files running side by side;
      // 30 s failed cases that seed through the API one request after another (~100: budget-stop-cost, 2.6 s alone,
      // timed out under a fresh-clone CI's load; files had raised their own bounds to 40, 60, 120 s one by one).
      // 120 s for every case and hook, no file's own: well above the longest wait's own deadline (20 s, D1 behind the
      // outbox and the queues), so a wait that never succeeds fails with its own message (test/integration/polling),
      // not with vitest's "timed out", which says neither what was awaited nor what was there instead.
      testTimeout: 120_000,
      hookTimeout: 120_000,
      projects: [
        // Each file in its own workerd: fresh storage, fresh module state, a self binding never called before.
        project({
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...SHARED_FILES],
        }),
        // The files of vitest.workers.shared.ts, one after another in one workerd per worker, which loads the
        // Worker's modules once instead of once per file: what a file must be to be on that list is said there.
        project({ name: "integration-shared", include: SHARED_FILES, isolate: false }),
      ],
    },
  };
});
