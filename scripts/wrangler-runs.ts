/**
 * @module scripts/wrangler-runs
 * The project's own tools, run the way npm runs them (the pinned Node 22 and wrangler first on PATH), and the
 * wrangler run a local start makes before its runtime: the production bundle built (the D1 migrations are applied
 * in-process: scripts/d1-migrations). It can be stopped on an AbortSignal, its whole process tree with it: a start
 * stopped while it ran left it orphaned, spinning a core (scripts/local-server, test/e2e/start-early-stop).
 */
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stopTree } from "./process-tree.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BIN = path.join(ROOT, "node_modules", ".bin");

/** 2 s: a wrangler run (bundling) told to stop holds nothing worth waiting for; some ignore SIGTERM. */
const WRANGLER_GRACE_MS = 2_000;

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

/** The error a start-up abandoned on `signal` rejects with. */
export const stoppedStarting = (): Error => new Error("stopped while starting");

/**
 * Runs `cmd` and resolves with its output (stdout and stderr as they came), or rejects with it. Its output goes to a
 * file read when it exits, not to pipes: a start SIGKILLed while wrangler ran (it cannot stop anything then) left
 * wrangler writing into a pipe nobody read, and it spun a core for good, deaf to SIGTERM; with a file it finishes and
 * exits (test/unit/wrangler-orphan).
 */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stoppedStarting());
    const logDir = mkdtempSync(path.join(tmpdir(), "gf-wrangler-run-"));
    const log = openSync(path.join(logDir, "output.log"), "w+");
    let text: string | undefined;
    const output = (): string => {
      if (text !== undefined) return text; // read once: `error` and `exit` may both come
      text = readFileSync(path.join(logDir, "output.log"), "utf8");
      rmSync(logDir, { recursive: true, force: true });
      return text;
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(path.join(BIN, cmd), args, { cwd: ROOT, env, stdio: ["ignore", log, log] });
    } finally {
      closeSync(log); // the child holds its own copy
    }
    // Its whole tree (`.bin/wrangler` runs wrangler's CLI as a child of its own), gone before the call rejects.
    let stopped: Promise<unknown> | undefined;
    const onAbort = () => {
      if (child.pid !== undefined) stopped = stopTree(child.pid, "SIGTERM", WRANGLER_GRACE_MS);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      output();
      reject(err);
    });
    child.on("exit", (code) => {
      signal?.removeEventListener("abort", onAbort);
      const out = output();
      if (signal?.aborted) void Promise.resolve(stopped).then(() => reject(stoppedStarting()));
      else if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} failed:\n${out}`));
    });
  });
}

/**
 * The production bundle (`wrangler deploy --dry-run`, what deploys) written to `outdir`; returns its `index.js`.
 * Throws with wrangler's output when bundling fails.
 */
export async function bundleWorker(outdir: string, signal?: AbortSignal): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  try {
    await run("wrangler", ["deploy", "--dry-run", "--outdir", outdir], toolEnv(), signal);
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new Error(`bundling failed:\n${(err as Error).message}`);
  }
  return path.join(outdir, "index.js");
}
