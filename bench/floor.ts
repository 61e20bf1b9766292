/**
 * `npm run bench:floor` — the local runtime's floor for the peers harness's protocol: what the least durable,
 * fenced push coordinator (bench/floor-worker.ts) costs per job on this machine, so that "the coordinator's own
 * CPU per job" (issue 12) is ours minus this, and a target can be read against what the runtime allows at all.
 *
 * Two workloads, shaped as the harness's (../shared/peers, gigafactory-ws default profile), on a fresh runtime
 * each: W1, `--jobs` (20,000) no-op jobs submitted in HTTP batches of 1,000 to 2 factories × 4 seats, each job
 * accepted, started (`building`) and completed in three acked frames; W2, after 200 untimed submits and a 2 s
 * settle, single HTTP submits at `--rate`/s for `--seconds`, latency from the submit leaving to the handler start
 * (after the accept and building acks). `--memory` acks accept and building without a commit (floor-worker).
 * Prints jobs/s, workerd CPU per job (all its threads, /proc; Linux only), this process's, the machine's other
 * load, W2's p50/p99; `--json` for scripts. Loopback only; stops the runtime it started, also on SIGINT/SIGTERM.
 * Exit: 0 done, 1 a run failed (a refused frame, a lost job), 2 bad arguments. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { stripTypeScriptTypes } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";
import { freePort } from "../scripts/local-server.ts";
import { useFastSqliteTmpdir } from "../scripts/sqlite-tmpdir.ts";
import { errorLine } from "../src/shared/fixable-error.ts";
import { floorW1, floorW2, type W1Figures, type W2Figures } from "./floor-workloads.ts";
import { round1 } from "./stats.ts";

const HERE = path.dirname(new URL(import.meta.url).pathname);

/**
 * A floor runtime on a free loopback port, its objects on disk under `state` (default: a fresh temp dir, removed by
 * `stop` — and at this process's exit, should a signal end it first); `stop` disposes the runtime.
 */
export async function startFloor(state?: string): Promise<{ base: string; dir: string; stop: () => Promise<void> }> {
  const dir = state ?? mkdtempSync(path.join(tmpdir(), "gf-floor-"));
  const remove = () => {
    if (!state) rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", remove);
  const contents = stripTypeScriptTypes(readFileSync(path.join(HERE, "floor-worker.ts"), "utf8"));
  useFastSqliteTmpdir(); // as the local runtime does (scripts/sqlite-tmpdir): the same runtime, measured alike
  const { mf, port } = await bindFloor(dir, contents);
  return {
    base: `http://127.0.0.1:${port}`,
    dir,
    stop: async () => {
      await mf.dispose();
      remove();
      process.removeListener("exit", remove);
    },
  };
}

/**
 * The floor runtime on a free port — on another when the pick was taken before workerd bound it (a pick can only be
 * checked before the bind: scripts/free-port), up to 3 picks.
 * @throws MiniflareCoreError ERR_ADDRESS_IN_USE after 3 taken picks, or any other start failure
 */
async function bindFloor(dir: string, contents: string): Promise<{ mf: Miniflare; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const mf = floorRuntime(dir, contents, port);
    try {
      await mf.ready;
      return { mf, port };
    } catch (err) {
      await mf.dispose().catch(() => undefined);
      if (attempt >= 3 || (err as { code?: string }).code !== "ERR_ADDRESS_IN_USE") throw err;
    }
  }
}

function floorRuntime(dir: string, contents: string, port: number): Miniflare {
  return new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port,
      rootPath: dir,
      // On disk, as our local runtime keeps its objects: commits cost what they cost there.
      resourcePersistencePath: path.join(dir, "v3"),
      resourceTmpPath: path.join(dir, "tmp"),
      log: new Log(LogLevel.WARN),
      logRequests: false,
      cf: false, // loopback only: no fetch of the Request.cf object
      compatibilityDate: "2026-08-01",
      modules: [{ type: "ESModule", path: "floor-worker.js", contents }],
      durableObjects: { FLOOR: { className: "Floor", useSQLite: true } },
    }),
  );
}

interface FloorReport {
  /** Which writes commit before their answer: every message, or (`--memory`) not accept and building. */
  commits: string;
  w1: W1Figures;
  w2: W2Figures;
}

const USAGE = `usage: npm run bench:floor -- [--json] [--memory] [--jobs N] [--rate R] [--seconds S]
  --jobs     W1's jobs (default 20000, the harness's W1)
  --rate     W2's single submits per second (default 200, the harness's W2)
  --seconds  how long W2 submits (default 5: the harness's 1,000 submits at 200/s)
  --memory   accept and building acked from memory, not committed: what a commit per frame costs
  --json     one JSON object on stdout (progress still goes to stderr)
  --help     this usage
`;

/** The command line, or the usage error to print (exit 2). */
export function floorArgs(
  argv: string[],
): { json: boolean; memory: boolean; help: boolean; jobs: number; rate: number; seconds: number } | string {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      // A lone `--`: npm passes on every `--` after its own (`npm run bench:floor -- --json -- --memory`).
      args: argv.filter((a) => a !== "--"),
      options: {
        help: { type: "boolean", short: "h", default: false },
        json: { type: "boolean", default: false },
        memory: { type: "boolean", default: false },
        jobs: { type: "string", default: "20000" },
        rate: { type: "string", default: "200" },
        seconds: { type: "string", default: "5" },
      },
    }));
  } catch (err) {
    return (err as Error).message;
  }
  const n = (k: "jobs" | "rate" | "seconds", max: number) => {
    const v = Number(values[k]);
    return Number.isFinite(v) && v > 0 && v <= max ? v : null;
  };
  const jobs = n("jobs", 1_000_000);
  const rate = n("rate", 10_000);
  const seconds = n("seconds", 3_600);
  if (jobs === null || !Number.isInteger(jobs)) return `--jobs takes a whole number from 1 to 1,000,000`;
  if (rate === null) return `--rate takes a number above 0, at most 10,000`;
  if (seconds === null) return `--seconds takes a number above 0, at most 3,600`;
  if (rate * seconds < 1) return `--rate × --seconds is W2's job count: make it at least 1`;
  const help = values.help === true;
  return { json: values.json === true, memory: values.memory === true, help, jobs, rate, seconds };
}

async function main(): Promise<number> {
  const values = floorArgs(process.argv.slice(2));
  if (typeof values === "string") {
    process.stderr.write(`${errorLine({ code: "bad_option", message: values, fix: "see the usage below" })}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stderr.write(USAGE);
    return 0;
  }
  const log = (s: string) => process.stderr.write(`[floor] ${s}\n`);
  let running: { stop: () => Promise<void> } | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping the floor runtime`);
    void (running?.stop() ?? Promise.resolve()).finally(() => process.exit(sig === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const fresh = async <T>(what: string, run: (base: string) => Promise<T>): Promise<T> => {
    const floor = await startFloor();
    running = floor;
    log(`${what} on ${floor.base}`);
    try {
      return await run(floor.base);
    } finally {
      await floor.stop();
      running = undefined;
    }
  };
  const opts = { memory: values.memory };
  const w1 = await fresh(`W1: ${values.jobs} jobs`, (b) => floorW1(b, values.jobs, opts, log));
  const w2 = await fresh(`W2: ${values.rate}/s for ${values.seconds} s`, (b) =>
    floorW2(b, values.rate, values.seconds, opts, log),
  );
  const report: FloorReport = { commits: values.memory ? "submit, assign, complete" : "every message", w1, w2 };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  }
  const us = (x: number | null) => (x === null ? "n/a" : `${Math.round(x)} µs/job`);
  const other = (x: number | null) => (x === null ? "" : ` · other load ${x.toFixed(2)} cores`);
  console.log(`\nThe local runtime's floor (bench/floor-worker.ts; commits before answering: ${report.commits})`);
  console.log(
    `  W1  ${w1.jobs} jobs: ${round1(w1.jobsPerSec)} jobs/s · workerd ${us(w1.cpuUsPerJob)} · ` +
      `this process ${us(w1.clientUsPerJob)} · duplicates ${w1.duplicates}${other(w1.foreignCores)}`,
  );
  console.log(
    `  W2  ${w2.jobs} single submits at ${w2.rate}/s: p50 ${round1(w2.p50Ms)} ms · p99 ${round1(w2.p99Ms)} ms · ` +
      `workerd ${us(w2.cpuUsPerJob)} · this process ${us(w2.clientUsPerJob)} · duplicates ${w2.duplicates}` +
      other(w2.foreignCores),
  );
  if (Math.max(w1.foreignCores ?? 0, w2.foreignCores ?? 0) > 0.25)
    log("WARNING: other work used more than a quarter of a core during a run; its figures are suspect, rerun");
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const fix = "a frame was refused or a job lost: rerun it alone, then report it";
      console.error(errorLine({ code: "floor_failed", message: String(err), fix }));
      process.exit(1);
    },
  );
}
