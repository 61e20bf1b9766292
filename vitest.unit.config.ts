// Unit tests of the pure core, run in plain Node.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { defineConfig } from "vitest/config";

const DIR = "test/unit";

/**
 * Files that touch what a process shares — the environment, signals and handlers on the worker's own process, module
 * mocks, the agent's fakes with their servers and temp dirs — each get a fresh worker (vitest's isolation). The rest
 * share workers: a fresh worker per file cost ~0.5 s of module loading each, 92 of the layer's ~180 s with two files
 * side by side on the 2-core CI machine (measured: the whole layer 177 s isolated, 103 s shared, under the same
 * load). A file is shared unless its text names one of these, so a new file lands on the right side by itself.
 * `vi.mock` too: in a shared worker a module another file imported first stays cached real, so the mock never takes
 * (dashboard-metrics-refresh failed once a new file imported dashboard/api.js before it in the same worker).
 * A child process the file starts and waits for (git in a temp repo, a script) changes nothing of the worker's: only
 * signals sent from the worker (`process.kill`) or caught by it (`process.on(`), and writes to its environment, do.
 * Until pass 43 any mention of `process.env` isolated a file: 17 only read it, to give a child the worker's own.
 * Fake timers (`vi.useFakeTimers`) and spies (`vi.spyOn`) do not need a worker of their own: each such file restores
 * them after its tests, and the shared project's set-up (test/unit/shared-worker-reset.ts) restores both after every
 * file besides. They were isolated until pass 43: 22 files, each ~0.9 s of a fresh worker's start and imports on a
 * quiet box (unit.json of pass 43: the isolated files' starts took 127 of the layer's ~450 worker-s).
 */
const PROCESS_BOUND = new RegExp(
  [
    // A write to the environment (a read, as `{ ...process.env, HOME }` for a child, changes nothing).
    String.raw`process\.env(\.\w+|\[[^\]]+\])?\s*(=(?!=)|\?\?=|\|\|=)|delete process\.env|Object\.assign\(process\.env|stubEnv`,
    String.raw`process\.kill|process\.on\(|agent-process|agent-fakes|agent-swap-race|vi\.mock`,
  ].join("|"),
);
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => path.posix.join(DIR, f));
const isolated = files.filter((f) => PROCESS_BOUND.test(readFileSync(f, "utf8")));

const common = {
  environment: "node",
  // Tests wait for states, never for time: the timeout only ends a hang — 5 s (the default) was passed by the
  // git-heavy workspace tests (1.7 s alone on CI) on a loaded machine with two files side by side, and 20 s by
  // count-bounded work on a fresh-clone run beside other work (cli-huge-lists' 200,000 jobs: 22 s; pass 26). 120 s,
  // one bound for every case, no file's own: 80 cases had set 20–120 s one by one, most below the layer's own.
  testTimeout: 120_000,
  // Set-ups and clean-ups (temp trees of real git repos, a thousand property-run dirs) only end a hang too: the 10 s
  // default was passed by a clean-up on such a run (pid-lock's afterAll).
  hookTimeout: 60_000,
} as const;

export default defineConfig({
  test: {
    // Two files at a time on two cores (vitest's default there is one).
    maxWorkers: 2,
    // A private temp root for the run, removed whole at its end (test files leaked dirs into the host's /tmp).
    globalSetup: ["test/unit/global-setup.ts"],
    projects: [
      {
        test: {
          ...common,
          name: "unit",
          include: [`${DIR}/**/*.test.ts`],
          exclude: isolated,
          isolate: false,
          setupFiles: [`${DIR}/shared-worker-reset.ts`],
        },
      },
      { test: { ...common, name: "unit-isolated", include: isolated, isolate: true } },
    ],
  },
});
