/**
 * @module scripts/local-server
 * Starts the coordinator locally the one way everything here does — `npm run
 * dev`, `npm start`, the end-to-end tests and the benchmark: D1 migrations
 * applied and the Worker bundled (two wrangler runs, side by side), then the local runtime (scripts/local-runtime.ts:
 * Miniflare/workerd) on 127.0.0.1 with state persisted under a directory, and
 * a handle that stops it cleanly or crashes it (its whole process group).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopTree } from "./process-tree.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BIN = path.join(ROOT, "node_modules", ".bin");

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
   * A bundle `bundleWorker` built from these sources (its `index.js`), served instead of bundling anew. Default: a
   * fresh bundle under `persistTo/bundle`, built while the migrations apply.
   */
  bundle?: string;
  /**
   * The state under `persistTo` has every D1 migration applied already (`applyMigrations` ran on it, or on the state
   * it was copied from): the wrangler run is skipped. Default false: migrations are applied first, as `npm start` does.
   */
  migrated?: boolean;
}

/** Where the end-to-end harness writes each server's output, and where `npm test` reads it when the layer fails. */
/** 10 s: a clean stop (Miniflare disposing workerd) takes under a second; ten covers a loaded 2-core machine. */
const RUNTIME_GRACE_MS = 10_000;

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

/** Same PATH trick npm uses: our pinned Node 22 and tools come first. */
export function toolEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`,
    // Per-request local tracing costs 2–3× throughput locally and we do not read it.
    X_LOCAL_OBSERVABILITY: "false",
    WRANGLER_SEND_METRICS: "false",
    ...extra,
  };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(BIN, cmd), args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} failed:\n${out}`)),
    );
  });
}

export async function applyMigrations(persistTo: string | undefined): Promise<void> {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  if (persistTo) args.push("--persist-to", persistTo);
  // CI=true makes wrangler apply without asking for confirmation.
  await run("wrangler", args, toolEnv({ CI: "true" }));
}

/**
 * The production bundle (`wrangler deploy --dry-run`, what deploys) written to `outdir`; returns its `index.js`.
 * Throws with wrangler's output when bundling fails.
 */
export async function bundleWorker(outdir: string): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  try {
    await run("wrangler", ["deploy", "--dry-run", "--outdir", outdir], toolEnv());
  } catch (err) {
    throw new Error(`bundling failed:\n${(err as Error).message}`);
  }
  return path.join(outdir, "index.js");
}

export async function waitForHealth(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`the local runtime exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline)
      throw new Error(`coordinator did not answer ${url}/api/v1/health within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** A free loopback port, from the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startLocalServer(opts: LocalServerOptions): Promise<LocalServer> {
  const persistTo = path.resolve(opts.persistTo ?? path.join(ROOT, ".wrangler", "state"));
  // Two independent wrangler runs of several seconds each, side by side; both finish before either failure is thrown.
  const [bundled, migrated] = await Promise.allSettled([
    opts.bundle ?? bundleWorker(path.join(persistTo, "bundle")),
    opts.migrated ? undefined : applyMigrations(persistTo),
  ]);
  if (bundled.status === "rejected") throw bundled.reason;
  if (migrated.status === "rejected") throw migrated.reason;
  const args = [
    path.join(ROOT, "scripts", "local-runtime.ts"),
    "--port",
    String(opts.port),
    "--persist-to",
    persistTo,
    "--bundle",
    bundled.value,
  ];
  if (opts.verbose) args.push("--verbose");
  const child = spawn(path.join(BIN, "node"), args, {
    cwd: ROOT,
    // In the environment, not on the command line, where any local user's `ps` would show it.
    env: toolEnv({ GIGAFACTORY_ADMIN_TOKEN: opts.adminToken }),
    // Its own process group, so a crash can take the runtime and its workerd down together.
    detached: true,
    stdio: ["ignore", opts.verbose ? "inherit" : "pipe", opts.verbose ? "inherit" : "pipe"],
  });
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
      if (!stopping)
        process.stderr.write(`\n✘ the local runtime exited on its own (code ${code}, signal ${signal})\n${tail}\n`);
      // Its workerd outlives a runtime that was SIGKILLed (nothing of the runtime runs to stop it), still serving the
      // port and writing the state: the peer harness's stop did that, and the next start found the port taken. After
      // a clean stop the group is already empty (ESRCH).
      killGroup(false);
      resolve();
    }),
  );
  try {
    await waitForHealth(url, 60_000, child);
  } catch (err) {
    stopping = true;
    killGroup(true);
    throw new Error(`${(err as Error).message}\n${tail}`);
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
