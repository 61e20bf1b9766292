// End-to-end tests in Node against a real local server over real sockets.
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Files that load the machine on purpose (thousands of jobs, a descriptor-capped runtime): they run after the others,
 * one at a time, with no other server beside them. bench-floor is not one: its counts are small (60 jobs) and it times
 * nothing ("this proves the bench"), so it runs among the others.
 */
const UNDER_LOAD = ["test/e2e/load.test.ts", "test/e2e/drain.test.ts", "test/e2e/push.test.ts"];

/**
 * Files that run long for their size, started before the others of their project. With no timings of its own (a
 * fresh clone, as on CI) vitest starts the largest files first, so a short file that runs long starts late and then
 * runs alone at the tail while the other worker idles: demo.test.ts (~9 KB, ~30 s — `npm start` bundles and
 * migrates on its own) started 9th of 14 and finished last.
 */
const START_FIRST = [
  "test/e2e/demo.test.ts",
  // The longest (~100 s of agents, leases and engines, little CPU), beside the CPU-heavy `npm start` files below.
  "test/e2e/agent.test.ts",
  // Each runs `npm start` (a wrangler bundling and a migration of its own) several times in a small file: 5-7 KB,
  // vitest's 33rd and 36th of 60 by size, 55 s and more on a quiet run (pass 35: 152 s and 142 s under load).
  "test/e2e/start-early-stop.test.ts",
  "test/e2e/start-enroll-crash.test.ts",
  // Three keep-alive rounds (6 s there: FEED_KEEPALIVE_SECONDS) in a 6 KB file: 37th by size, ~20 s.
  "test/e2e/feed-sse-flaky-client.test.ts",
];

/*
 * Where an e2e file's time goes (pass 51, measured so the next look need not repeat it). A dashboard file is its cases
 * (~1.5-5 s each: a fresh context, a sign-in that loads the dashboard's ~90 files, the page's reads), not its set-up:
 * dashboard-roles, 9 cases, 25 s of cases in 32 s, 17 CPU-s — Chromium 8 (its browser process and network service
 * most), node 7 (vitest, the runtime's node), workerd 2. The whole layer's tree: Chromium about half, the local
 * runtime's node ~1.2 CPU-s a server start (0.6 of it importing miniflare; node's compile cache took 0.1 off), then
 * vitest, then workerd. Tried, no gain in CPU-s on the same 3 dashboard files back to back: Chromium without GPU
 * compositing or its software rasterizer (47.5 against 47.3 CPU-s), expect.poll at 200 ms instead of 50 (48.6
 * against 50.1). The order is already balanced: CI's per-file times of pass 50 laid on 3 workers in this order end
 * within 4 s of each other (576 s of 663; the rest is each file's worker start and the under-load tail).
 */

/** Vitest's order (projects by groupOrder, then failed and longer or larger files first), START_FIRST files first. */
class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const projects = [...new Set(sorted.map((f) => f.project.name))];
    const rank = (f: TestSpecification) => {
      const i = START_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i === -1 ? START_FIRST.length : i;
    };
    // Array sort is stable: projects keep their order, and within one the rest keep vitest's.
    return sorted.sort(
      (a, b) => projects.indexOf(a.project.name) - projects.indexOf(b.project.name) || rank(a) - rank(b),
    );
  }
}

const common = {
  environment: "node",
  // The bound only ends a hang (tests wait for states): one for every case, no file's own — files had set 60 to 300 s
  // one by one, below the layer's own for some, and learned-routing (real agents, ~170 s on a busy box) passed 300 s
  // at load 19 (pass 44). A wait's own deadline, well under it, fails first with what it waited for.
  testTimeout: 480_000,
  hookTimeout: 240_000,
  // expect.poll waits for a state; vitest's default bound (1 s) is a delay's length, not a state's: on a loaded 2-core
  // CI box a page's sign-in, route and first read took longer, and four cases that wait without a bound of their own
  // failed there (pass 43's CI: the settings page's first read, its 15 s re-read reached by running the clock on).
  expect: { poll: { timeout: 20_000 } },
} as const;

export default defineConfig({
  test: {
    // Once for the run, not per server: the Worker's bundle and a migrated state (test/e2e/global-setup.ts).
    globalSetup: ["test/e2e/global-setup.ts"],
    sequence: { sequencer: LongFirstSequencer },
    projects: [
      {
        test: {
          ...common,
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          exclude: UNDER_LOAD,
          // Three files at a time on CI's two cores, each with its own server (own port, own state dir): most of a
          // file's time is spent waiting on real time — sample engines that run for seconds, lease TTLs, the
          // dashboard's 3 s read tick, agent processes starting — not on the CPU. A file's whole tree (vitest worker,
          // runtime, workerd, its share of the run's one Chromium) used 12-28 CPU-s for dashboard files and 72 for
          // cli.test, against ~31 s of a worker's time per file on a quiet 2-core run with two at a time (925 s,
          // 59 files): about a third of the CPU stood idle. dag-view, dashboard-signin and dashboard-bidi: 181 s two
          // at a time, 131 s three at a time, back to back under the same load. Each server is one workerd (~150 MB).
          fileParallelism: true,
          maxWorkers: 3,
          // One worker process runs file after file (its imports — playwright-core, the harness, scripts/ — loaded
          // once), not a fresh process per file. Nothing here needs a fresh one: no file writes the environment, mocks
          // a module or fakes the worker's timers; the one that listens on the process (chromium-close-in-flight)
          // takes its listener off in its afterAll; load.test, which deletes two variables, stays in the isolated
          // project below. Pass 51, 12 small files, 3 at a time, back to back on a box loaded 13-23: vitest's
          // "import" 63 s isolated against 25 s shared, 38.3 CPU-s against 32.1 (-16 %). The layer is CPU-bound on
          // CI's two cores (a dashboard file's tree used ~0.65 of a core while it ran; half of that is Chromium,
          // then the local runtime's node, vitest, workerd), so CPU saved is wall time saved. The whole layer so: 84
          // files, 343 tests passed (1,920 s, 715 CPU-s at load 13-28).
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...common,
          name: "e2e-under-load",
          include: UNDER_LOAD,
          // One server at a time: CI has two cores, and these tests measure behaviour under load.
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
