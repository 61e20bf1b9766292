/**
 * @module scripts/local-server
 * Starts the coordinator locally the one way everything here does — `npm run
 * dev`, `npm start`, the end-to-end tests and the benchmark: the Worker bundled (a wrangler run), then the local
 * runtime (scripts/local-runtime.ts: Miniflare/workerd, which applies the D1 migrations before it serves) on
 * 127.0.0.1 with state persisted under a directory, and
 * a handle that stops it cleanly or crashes it (its whole process group).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync } from "node:fs";
import path from "node:path";
import { workerBundle } from "./bundle-cache.ts";
import { stopTree } from "./process-tree.ts";
import { EXIT_PORT_IN_USE, portTaken, READY_FD, readyFlag } from "./runtime-ready.ts";
import { BIN, ROOT, stoppedStarting, toolEnv } from "./wrangler-runs.ts";

// Importers take these from here, as before the wrangler runs and the port pick had their own modules.
export { freePort } from "./free-port.ts";
export { bundleWorker, ROOT, toolEnv } from "./wrangler-runs.ts";

export interface LocalServerOptions {
  port: number;
  /** Where DO storage, D1, R2 and queues live; default `.wrangler/state`. */
  persistTo?: string;
  adminToken: string;
  /** Print the runtime's own output (Miniflare's and workerd's warnings and errors) to this process's. */
  verbose?: boolean;
  /** Also append that output here: a runtime that dies leaves its reason behind. */
  logFile?: string;
  /**
   * A bundle `bundleWorker` built from these sources (its `index.js`), served instead of bundling anew. Default: the
   * checkout's cached bundle when nothing it was built from changed, else a fresh one (scripts/bundle-cache).
   */
  bundle?: string;
  /**
   * The state under `persistTo` has every D1 migration applied already (scripts/d1-migrations ran on it, or on the state
   * it was copied from): applying them is skipped. Default false: migrations are applied first, as `npm start` does.
   */
  migrated?: boolean;
  /**
   * A JSON file with wrangler.toml's bindings and crons (scripts/wrangler-config `saveWranglerConfig`), loaded by the
   * runtime instead of reading wrangler.toml with wrangler (~1.7 CPU-s a start). Default: the runtime reads it.
   */
  wranglerConfig?: string;
  /** Worker vars over wrangler.toml's [vars] (the runtime's `--var`), e.g. `{ FEED_KEEPALIVE_SECONDS: "3" }`. */
  vars?: Readonly<Record<string, string>>;
  /** Aborted (a stop request while starting): the bundling wrangler run's tree, or a runtime on its way up (applying
   * the migrations, or starting), is stopped, then the call rejects. Without it they were orphaned, spinning a core. */
  signal?: AbortSignal;
  /**
   * Told each step of the start as it begins, and every PROGRESS_EVERY_MS while the runtime is not answering yet, in
   * words for a terminal ("… waiting for the coordinator to answer …"): `npm start` on a big state printed nothing
   * for ~40 s after "starting the coordinator". Default: silent (the tests and the benchmark).
   */
  progress?: (line: string) => void;
}

/** 10 s: a quiet stretch any longer read as a hang on a newcomer's first `npm start` (pass 43); shorter is noise. */
const PROGRESS_EVERY_MS = 10_000;

/** 10 s: a clean stop (Miniflare disposing workerd) takes under a second; ten covers a loaded 2-core machine. */
const RUNTIME_GRACE_MS = 10_000;

/** Where the end-to-end harness writes each server's output, and where `npm test` reads it when the layer fails. */
export const E2E_SERVER_LOGS = path.join(ROOT, ".tmp", "e2e-server-logs");

export interface LocalServer {
  url: string;
  child: ChildProcess;
  /** The runtime's latest output (up to 8,000 characters; empty when `verbose` passes it through). */
  output(): string;
  /** Clean stop: SIGINT to the runtime, which stops its workerd. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** A crash: SIGKILL to the runtime and every process it started, with no chance to clean up. */
  crash(): Promise<void>;
}

/**
 * Resolves once `url` answers its health check; with `child`, fails as soon as that runtime has exited, and with
 * `ready` (scripts/runtime-ready readyFlag) asks nothing of `url` before the runtime says it serves: until then an
 * answer there is someone else's.
 */
export async function waitForHealth(
  url: string,
  timeoutMs: number,
  child?: ChildProcess,
  ready: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A runtime killed by a signal has no exit code, only its signalCode: both mean it is gone.
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(
        `the local runtime exited with ${child.exitCode === null ? child.signalCode : `code ${child.exitCode}`}`,
      );
    try {
      const res = ready() ? await fetch(`${url}/api/v1/health`) : undefined;
      if (res?.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline)
      throw new Error(`coordinator did not answer ${url}/api/v1/health within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export async function startLocalServer(opts: LocalServerOptions): Promise<LocalServer> {
  const persistTo = path.resolve(opts.persistTo ?? path.join(ROOT, ".wrangler", "state"));
  const say = opts.progress ?? (() => undefined);
  if (!opts.bundle) say("… bundling the Worker (the cached bundle when nothing it is built from changed)");
  const bundle = opts.bundle ?? (await workerBundle(persistTo, opts.signal));
  if (opts.signal?.aborted) throw stoppedStarting();
  const args = [
    path.join(ROOT, "scripts", "local-runtime.ts"),
    "--port",
    String(opts.port),
    "--persist-to",
    persistTo,
    "--bundle",
    bundle,
    "--ready-fd",
    String(READY_FD),
    // Named, not read by the runtime at its start: this process may be killed while the runtime loads.
    "--parent-pid",
    String(process.pid),
  ];
  // The runtime applies them before it serves (~1 s; wrangler's own run took 8 s): see scripts/d1-migrations.
  if (!opts.migrated) args.push("--migrate");
  if (opts.verbose) args.push("--verbose");
  if (opts.wranglerConfig) args.push("--wrangler-config", opts.wranglerConfig);
  for (const [name, value] of Object.entries(opts.vars ?? {})) args.push("--var", `${name}=${value}`);
  const child = spawn(path.join(BIN, "node"), args, {
    cwd: ROOT,
    // In the environment, not on the command line, where any local user's `ps` would show it.
    env: toolEnv({ GIGAFACTORY_ADMIN_TOKEN: opts.adminToken }),
    // Its own process group, so a crash can take the runtime and its workerd down together.
    detached: true,
    stdio: ["ignore", opts.verbose ? "inherit" : "pipe", opts.verbose ? "inherit" : "pipe", "pipe"],
  });
  const ready = readyFlag(child);
  // Miniflare's own warnings (a workerd crash and restart among them) go to stdout, the runtime's to stderr.
  let tail = "";
  const keep = (d: Buffer) => {
    tail = (tail + d).slice(-8000);
    if (opts.logFile) appendFileSync(opts.logFile, d);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${opts.port}`;
  let stopping = false;
  /**
   * SIGKILLs the runtime's own process group (it is `detached`: its workerd is in it, nothing else), or the runtime
   * alone if the group is gone; returns whether the group was signalled. Never `process.kill(-0)`: with no pid (a
   * spawn that failed) that would signal this process's own group.
   */
  const killGroup = (fallback: boolean): boolean => {
    if (child.pid === undefined) return false;
    try {
      process.kill(-child.pid, "SIGKILL");
      return true;
    } catch {
      if (fallback) child.kill("SIGKILL");
      return false;
    }
  };
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      // A server that dies on its own takes the reason with it unless we say it here: tests would only see ECONNREFUSED.
      // A port taken under it is reported by the start, as `port_in_use` (scripts/runtime-ready).
      if (!stopping && code !== EXIT_PORT_IN_USE)
        process.stderr.write(`\n✘ the local runtime exited on its own (code ${code}, signal ${signal})\n${tail}\n`);
      // Its workerd outlives a runtime that was SIGKILLed (nothing of the runtime runs to stop it), still serving the
      // port and writing the state: the peer harness's stop did that, and the next start found the port taken. After
      // a clean stop the group is already empty (ESRCH).
      killGroup(false);
      resolve();
    }),
  );
  // Stopped while it comes up: as `stop()` stops it; waitForHealth then fails on its exit.
  const onAbort = () => {
    stopping = true;
    if (child.pid !== undefined) void stopTree(child.pid, "SIGINT", RUNTIME_GRACE_MS);
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  const began = Date.now();
  say(`… starting the local runtime (workerd${opts.migrated ? "" : ", D1 migrations applied first"})`);
  // What it waits for, said while it waits: the runtime's own "serving" word (the state loading), then /health.
  const ticker = setInterval(() => {
    const what = ready() ? `${url}/api/v1/health to answer` : "the local runtime (workerd) to serve";
    say(`… still waiting for ${what} (${Math.round((Date.now() - began) / 1000)} s so far, 60 s at most)`);
  }, PROGRESS_EVERY_MS);
  try {
    await waitForHealth(url, 60_000, child, ready);
    if (opts.signal?.aborted) throw stoppedStarting();
  } catch (err) {
    stopping = true;
    // Aborted: onAbort's stopTree stops the runtime (SIGKILL past its grace), the exit handler its group.
    if (opts.signal?.aborted) {
      await exited;
      throw stoppedStarting();
    }
    killGroup(true);
    if (child.exitCode === EXIT_PORT_IN_USE) throw portTaken(opts.port);
    throw new Error(`${(err as Error).message}\n${tail}`);
  } finally {
    clearInterval(ticker);
    opts.signal?.removeEventListener("abort", onAbort);
  }
  return {
    url,
    child,
    output: () => tail,
    async stop(signal: NodeJS.Signals = "SIGINT") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      // A runtime that will not stop within the grace (wedged under load) is SIGKILLed with its workerd.
      if (child.pid !== undefined) await stopTree(child.pid, signal, RUNTIME_GRACE_MS);
      await exited;
    },
    async crash() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      killGroup(true);
      await exited;
    },
  };
}
