/**
 * @module scripts/local-runtime
 * The local runtime itself: the Worker bundled exactly as `wrangler deploy`
 * bundles it, run by Miniflare (workerd) on 127.0.0.1 with the bindings of
 * `wrangler.toml` (Durable Objects, D1, R2, Queues, assets) persisted under one
 * directory, and the cron triggers fired on schedule.
 *
 * Why not `wrangler dev`: it is a file-watching development loop. Every request
 * goes through its proxy (a Durable Object in a second workerd, plus a Node
 * controller), and a network error seen by that proxy makes wrangler exit —
 * under load, and now and then with none. A coordinator that fleets depend on
 * locally must not die of its dev tooling, so this serves the Worker directly.
 *
 * Usage (spawned by scripts/local-server.ts):
 *   GIGAFACTORY_ADMIN_TOKEN=T node scripts/local-runtime.ts --port N --persist-to DIR [--bundle FILE] [--migrate]
 *     [--verbose] [--ready-fd FD] [--parent-pid PID] [--wrangler-config FILE] [--var NAME=VALUE ...]
 * `--bundle` serves a bundle built beforehand by `bundleWorker` (local-server builds it; the end-to-end tests build
 * one per run, since the sources do not change under them); without it the runtime bundles the Worker itself.
 * `--migrate` applies the pending D1 migrations (scripts/d1-migrations) before anything is served, so no request
 * meets a schema half made; a failure exits 1 (`migrations_failed`). They run here, not in the process that starts
 * this one: a Miniflare instance installs exit hooks that turn a SIGTERM into that process's death, which would cut
 * `npm start`'s own graceful stop short (test/e2e/start-early-stop).
 * `--wrangler-config` loads wrangler.toml's bindings and crons from a file a read of it wrote (scripts/wrangler-config:
 * the end-to-end run reads it once), instead of loading wrangler (~1.7 CPU-s) to read it at every start.
 * `--var` sets a Worker var over wrangler.toml's [vars] (as `wrangler dev --var` does), e.g. a short keep-alive.
 * `--ready-fd` names a pipe on which it says it serves, and a port it could not take exits 3 (`port_in_use`): see
 * scripts/runtime-ready. `--parent-pid` names the process that started it, the one whose exit stops it: read at its
 * start, its parent may already be gone (killed while this runtime loaded) and init taken for it.
 * SIGINT/SIGTERM/SIGHUP (or its parent exiting) stop it, workerd included; workerd is
 * SIGKILLed if it has not stopped within 5 s. A workerd that crashes is restarted by Miniflare; one that cannot be
 * restarted makes this process exit 1 (`runtime_failed`), and its parent with it.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { cronMatcher } from "../src/core/cron.ts";
import { errorLine } from "../src/shared/fixable-error.ts";
import { runCronMinute } from "./cron-minute.ts";
import { bundleWorker, ROOT } from "./local-server.ts";
import { killDescendants } from "./process-tree.ts";
import { EXIT_PORT_IN_USE, portTaken, signalReady } from "./runtime-ready.ts";
import { useFastSqliteTmpdir } from "./sqlite-tmpdir.ts";
import { onStopRequest, outliveLostOutput } from "./stop-signals.ts";
import { loadWranglerConfig, readWranglerConfig } from "./wrangler-config.ts";

/** A command line it cannot run: the usage line, exit 2 (never parseArgs' stack trace). */
function usage(why: string): never {
  console.error(
    errorLine({
      code: "usage",
      message: `${why}: GIGAFACTORY_ADMIN_TOKEN=T local-runtime --port N --persist-to DIR`,
      fix: "see scripts/local-server.ts",
    }),
  );
  process.exit(2);
}

function parsedArgs() {
  try {
    return parseArgs({
      options: {
        port: { type: "string" },
        "persist-to": { type: "string" },
        bundle: { type: "string" },
        migrate: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        "ready-fd": { type: "string" },
        "parent-pid": { type: "string" },
        "wrangler-config": { type: "string" },
        var: { type: "string", multiple: true, default: [] },
      },
    }).values;
  } catch (err) {
    return usage((err as Error).message);
  }
}
// From the start, not only once it serves: a starter gone while this loads leaves its pipes without a reader.
outliveLostOutput();
const args = parsedArgs();
const port = Number(args.port);
const persistTo = path.resolve(args["persist-to"] ?? path.join(ROOT, ".wrangler", "state"));
const adminToken = process.env.GIGAFACTORY_ADMIN_TOKEN ?? "";
if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`--port ${args.port} is not a TCP port`);
if (!adminToken) usage("GIGAFACTORY_ADMIN_TOKEN is not set");
/** A whole number from `min` (flag absent: undefined), or the usage line. */
function intFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value) || Number(value) < min) usage(`--${name} ${value} is not a number from ${min}`);
  return Number(value);
}
const readyFd = intFlag("ready-fd", args["ready-fd"], 3);
// 2 and up: 1 is init, which an orphan's parent becomes, never the one that started it.
const parentPid = intFlag("parent-pid", args["parent-pid"], 2);

/** `--var NAME=VALUE` flags as bindings (a var is a string, as wrangler.toml's quoted ones), or the usage line. */
const vars = Object.fromEntries(
  args.var.map((v) => /^([A-Z][A-Z0-9_]*)=(.*)$/s.exec(v)?.slice(1) ?? usage(`--var ${v} is not NAME=VALUE`)),
);

// Read (and refused, if unreadable) before anything starts: a typo must not surface a minute later.
function loadedConfig(file: string): ReturnType<typeof loadWranglerConfig> {
  try {
    return loadWranglerConfig(path.resolve(file));
  } catch (err) {
    return usage(`--wrangler-config ${file}: ${(err as Error).message}`);
  }
}
const { workerOptions, crons: cronExprs } = args["wrangler-config"]
  ? loadedConfig(args["wrangler-config"])
  : await readWranglerConfig();
const crons = cronExprs.map((cron) => ({ cron, due: cronMatcher(cron) }));
// The production bundle (`wrangler deploy --dry-run`): what runs locally is what deploys.
const script = args.bundle ? path.resolve(args.bundle) : await bundleWorker(path.join(persistTo, "bundle"));
let stopping = false;

/**
 * Miniflare restarts a workerd that crashed on its own; when that restart fails it only logs the error, and this
 * process stayed up serving nothing (`cron_failed` every minute, every request refused). It exits instead, non-zero
 * and after its workerd, so whoever started it (`npm start`, `npm run dev`, a supervisor) sees the runtime is gone.
 */
class RuntimeLog extends Log {
  override error(message: Error): void {
    super.error(message);
    if (stopping || (message as { code?: string }).code !== "ERR_RUNTIME_FAILURE") return;
    stopping = true;
    const fix = `see the runtime's output above, then start it again (state: ${persistTo})`;
    console.error(errorLine({ code: "runtime_failed", message: message.message, fix }));
    killDescendants(process.pid);
    process.exit(1);
  }
}

// SQLite's temporary files (savepoint sub-journals) on tmpfs when the machine has room: scripts/sqlite-tmpdir.
useFastSqliteTmpdir();
if (args.migrate) {
  // Imported only here: it loads wrangler (its SQL splitter), which a start on a migrated state never needs.
  const { applyMigrations } = await import("./d1-migrations.ts");
  await applyMigrations(persistTo).catch((err: unknown) => {
    const fix = `fix the migration, then start again (state: ${persistTo})`;
    console.error(errorLine({ code: "migrations_failed", message: (err as Error).message, fix }));
    process.exit(1);
  });
}
// wrangler describes the bindings in Miniflare's v4 option shape; Miniflare 5 takes its own.
const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: "127.0.0.1",
    port,
    rootPath: ROOT,
    resourcePersistencePath: path.join(persistTo, "v3"),
    resourceTmpPath: path.join(persistTo, "tmp"),
    log: new RuntimeLog(args.verbose ? LogLevel.INFO : LogLevel.WARN),
    logRequests: false,
    unsafeTriggerHandlers: true,
    // The `request.cf` placeholder, fetched from workers.cloudflare.com otherwise: the Worker never reads it, and on
    // an offline machine the fetch printed a warning and a getaddrinfo stack on every fresh start (loopback only).
    cf: false,
    // DevTools (chrome://inspect) or a CPU profile: set GIGAFACTORY_INSPECTOR_PORT to attach to the Worker.
    ...(process.env.GIGAFACTORY_INSPECTOR_PORT
      ? { inspectorPort: Number(process.env.GIGAFACTORY_INSPECTOR_PORT) }
      : {}),
    workers: [
      {
        ...workerOptions,
        name: "gigafactory",
        // Module names are paths relative to this root, and may not climb out of it.
        modulesRoot: path.dirname(script),
        modules: [{ type: "ESModule", path: script }],
        bindings: { ...(workerOptions.bindings ?? {}), ...vars, GIGAFACTORY_ADMIN_TOKEN: adminToken },
      },
    ],
  }),
);
await mf.ready.catch((err: unknown) => {
  // Taken since the starter's preflight (or never checked): a line that says so, not Miniflare's stack.
  if ((err as { code?: string }).code !== "ERR_ADDRESS_IN_USE") throw err;
  stopping = true;
  const taken = portTaken(port);
  console.error(errorLine(taken));
  killDescendants(process.pid);
  process.exit(EXIT_PORT_IN_USE);
});
signalReady(readyFd);

/**
 * Cron triggers, which `wrangler dev` leaves to a manual curl: the reaper's sweep is
 * the safety net behind the alarms, so a local coordinator runs it like production
 * does — on the minute, each trigger whose expression matches it (UTC).
 */
let cronTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleCron(): void {
  if (crons.length === 0) return;
  cronTimer = setTimeout(
    async () => {
      scheduleCron();
      const minute = new Date(Math.round(Date.now() / 60_000) * 60_000);
      const failures = await runCronMinute(
        () => mf.getWorker(),
        crons,
        minute,
        () => stopping,
      );
      for (const line of failures) console.error(line);
    },
    60_000 - (Date.now() % 60_000),
  );
}
scheduleCron();

/** 5 s: Miniflare's dispose (workerd shutting down) takes well under a second; a wedged one must not keep the port. */
const DISPOSE_GRACE_MS = 5_000;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  clearTimeout(cronTimer);
  const disposed = await Promise.race([
    mf.dispose().then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => setTimeout(() => r(false), DISPOSE_GRACE_MS)),
  ]);
  if (!disposed) {
    const message = `workerd did not stop within ${DISPOSE_GRACE_MS} ms`;
    console.error(errorLine({ code: "stop_timeout", message, fix: "killing it" }));
    killDescendants(process.pid);
  }
  process.exit(disposed ? 0 : 1);
}
onStopRequest(
  {
    stop: () => void stop(),
    force: (why, exitCode) => {
      console.error(`✘ ${why} while stopping: killing workerd now`);
      killDescendants(process.pid);
      process.exit(exitCode); // 128 + the signal's number, as start.ts and dev.ts exit (stop-signals)
    },
  },
  parentPid,
);
