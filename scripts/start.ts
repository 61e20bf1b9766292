/**
 * @module scripts/start
 * `npm start`: the whole system on this machine, as a newcomer should first see it.
 * Starts the coordinator (Miniflare local mode, state under `.wrangler/`), creates the
 * demo product `demo`, enrolls and starts two factory agents with different
 * capabilities running the bundled sample engine, submits the manifests in
 * `examples/`, ships the first of the jobs it submitted in this run that reaches
 * `testing` the way an operator would (never another job: see demo-api
 * shipFirstOwnTested), and prints where to look. Ctrl-C, SIGTERM or SIGHUP (also sent
 * to npm, which `exec`s this script) drains the agents and stops everything it started; what does not stop within its
 * grace period is SIGKILLed, and a second Ctrl-C kills everything at once.
 */

import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { envValue } from "../src/shared/env-value.ts";
import { errorLine, errorText } from "../src/shared/fixable-error.ts";
import { demoAgentEnrolled, forgetUnsavedFactories, savedFactoryId } from "./demo-agent-state.ts";
import { api, createDemoProduct, PRODUCT, prefixed, shipFirstOwnTested } from "./demo-api.ts";
import { type DemoJob, demoSummary } from "./demo-summary.ts";
import { adminToken, port } from "./dev.ts";
import { localEngineUserArgs } from "./engine-user-reach.ts";
import { ROOT, startLocalServer, toolEnv } from "./local-server.ts";
import { killDescendants, stopChildren } from "./process-tree.ts";
import {
  demoSampleSeconds,
  lockStateAndPort,
  SAMPLE_FIX,
  startFailureExit,
  startFailureText,
} from "./start-preflight.ts";
import { endedWords, onStopRequest } from "./stop-signals.ts";

/** Local state: `.wrangler/` by default; `GIGAFACTORY_LOCAL_STATE` moves it (tests use a temp dir); empty is unset. */
/** What to do after a demo agent was killed: the demo's agents are its own; a crash is watched on one of yours. */
const CRASH_FIX =
  'run `npm start` again; to watch a host crash and come back, kill an agent you enrolled yourself (docs/first-fleet.md, "An agent killed and brought back")';
const STATE_ROOT = envValue(process.env, "GIGAFACTORY_LOCAL_STATE") ?? path.join(ROOT, ".wrangler");
const DEMO_DIR = path.join(STATE_ROOT, "demo");
/** 8 s: a demo job takes ~4 s by default (GF_SAMPLE_SECONDS), so a draining agent finishes it or checkpoints and releases it in time. */
const AGENT_DRAIN_S = 8;
/** 15 s: the agents' drain (8 s) plus the release round trip, with margin; then SIGKILL to each agent's tree. */
const AGENT_GRACE_MS = 15_000;
/** Two hosts that differ: one with Docker and two seats, one with a GPU and one seat. */
const FACTORIES = [
  { name: "demo-docker", seats: 2, caps: ["has:docker"] },
  { name: "demo-gpu", seats: 1, caps: ["gpu"] },
];

/** Spawns an agent's `enroll` or `run` and records it for the stop; throws once a stop has begun (see main). */
type Launch = (args: string[], options: SpawnOptions) => ChildProcess;
async function startAgent(url: string, token: string, f: (typeof FACTORIES)[number], launch: Launch) {
  const stateDir = path.join(DEMO_DIR, f.name);
  // Traversable: under root the agents run their engines as another user, whose work dirs are in here too.
  mkdirSync(DEMO_DIR, { recursive: true });
  chmodSync(DEMO_DIR, 0o755);
  mkdirSync(stateDir, { recursive: true });
  const bin = path.join(ROOT, "bin", "gigafactory-agent.mjs");
  const enrolled = await demoAgentEnrolled(stateDir, `${stateDir}-work`, url, token);
  // An earlier start stopped mid-enrollment left a factory of this name that no config names: gone before enrolling.
  // A config naming no factory (a hand-made one) leaves the fleet as it is: its own factory would go too.
  const saved = enrolled ? savedFactoryId(stateDir) : undefined;
  if (!enrolled || saved !== undefined) await forgetUnsavedFactories(url, token, f.name, saved);
  if (!enrolled) {
    // A fresh demo: enroll the way a real host does, with a one-time code.
    const { code } = (await api(url, token, "POST", "/factories/enrollment-codes", {})) as { code: string };
    const caps = f.caps.flatMap((c) => ["--cap", c]);
    const enroll = launch(
      [
        bin,
        "enroll",
        "--url",
        url,
        "--product",
        PRODUCT,
        "--code",
        code,
        "--name",
        f.name,
        "--seats",
        String(f.seats),
        "--state-dir",
        stateDir,
        ...caps,
        // As its run: a checkout `nobody` cannot reach runs the demo's engines as us (enroll checks it, and saves it).
        ...localEngineUserArgs(ROOT),
      ],
      { cwd: ROOT, env: toolEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    prefixed(enroll, f.name);
    const rc = await new Promise<number | null>((r) => enroll.once("exit", r));
    if (rc !== 0) throw new Error(`enrolling ${f.name} failed (exit ${rc})`);
  }
  const args = [
    bin,
    "run",
    "--state-dir",
    stateDir,
    // Beside the state dir, never in it: the engine works there, and the factory token lives in the state dir.
    "--work-dir",
    `${stateDir}-work`,
    "--seats",
    String(f.seats),
    "--lease-ttl",
    "30",
    "--drain-timeout",
    String(AGENT_DRAIN_S),
    // Its own process group outlived this script killed outright (SIGKILL, OOM): the agent drains then too.
    "--parent-pid",
    String(process.pid),
  ];
  for (const c of f.caps) args.push("--cap", c);
  // A checkout under a private directory: `nobody` cannot run the sample engine, so the demo's engines run as us.
  args.push(...localEngineUserArgs(ROOT));
  const child = launch(args, {
    cwd: ROOT,
    // The sample engine takes a few seconds per job (4 unless GF_SAMPLE_SECONDS says), so there is something to watch.
    env: toolEnv({ GF_SAMPLE_SECONDS: String(sampleSeconds) }),
    stdio: ["ignore", "pipe", "pipe"],
    // Own process group: a terminal's Ctrl-C reaches only this script, which then
    // drains the agents once (a second signal would make them exit without draining).
    detached: true,
  });
  prefixed(child, f.name);
  return child;
}

/** Submits every example; the examples' idempotencyKeys make a rerun on the same state answer the existing jobs. */
async function submitExamples(url: string, token: string): Promise<DemoJob[]> {
  const dir = path.join(ROOT, "examples");
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".md"))
    .sort();
  const jobs: DemoJob[] = [];
  for (const file of files) {
    const res = await fetch(`${url}/api/v1/products/${PRODUCT}/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "text/markdown" },
      body: readFileSync(path.join(dir, file), "utf8"),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST /jobs (${file}): ${res.status} ${text}`);
    const job = JSON.parse(text) as { id: string; title: string; stage: string };
    jobs.push({
      id: job.id,
      title: job.title,
      stage: job.stage,
      replayed: res.headers.get("idempotent-replayed") === "true",
    });
  }
  return jobs;
}

/** How long each demo job works, s (start-preflight `demoSampleSeconds`). */
let sampleSeconds = 4;

/** A setting `npm start` cannot use: said before anything starts, exit 2 (as dev.ts `port` does for PORT). */
function usage(code: string, what: string, fix: string): never {
  console.error(errorLine({ code, message: `${what} is not usable`, fix }));
  process.exit(2);
}

async function main(): Promise<void> {
  const token = adminToken();
  const listenOn = port();
  const seconds = envValue(process.env, "GF_SAMPLE_SECONDS");
  sampleSeconds = demoSampleSeconds(seconds) ?? usage("bad_sample_seconds", `GF_SAMPLE_SECONDS=${seconds}`, SAMPLE_FIX);
  // Before anything starts: a second `npm start` must not take the first one's coordinator, state or agents over.
  await lockStateAndPort(STATE_ROOT, listenOn, "npm start");
  const where = STATE_ROOT.startsWith(`${ROOT}${path.sep}`) ? path.relative(ROOT, STATE_ROOT) : STATE_ROOT;
  console.log(`… starting the coordinator (Miniflare local mode, state in ${where}/)`);
  const agents: ChildProcess[] = []; // and their enrollments: a stop during one must end it, not orphan it
  const operator = new AbortController();
  // Stopping before the coordinator answers stops its start-up too (its bundling, its migrations, a runtime on its way up).
  const starting = new AbortController();
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    operator.abort();
    starting.abort();
    console.log("\n… stopping: draining the agents, then the coordinator");
    // Each agent's tree (its engines too), SIGKILLed if its drain overruns the grace period.
    await stopChildren(agents, "SIGTERM", AGENT_GRACE_MS);
    // A start-up it cut short rejects once what it started is gone.
    await (await startup.catch(() => undefined))?.stop();
    console.log("✔ stopped");
    process.exit(code);
  };
  onStopRequest({
    stop: () => void stop(0),
    // 128 + the signal's number (stop-signals): SIGTERM's 143, not an interrupt's 130 whatever the signal.
    force: (why, exitCode) => {
      console.log(`\n✘ ${why} again: killing everything now`);
      killDescendants(process.pid);
      process.exit(exitCode);
    },
  });
  // The handlers above come first: a stop request the moment the bundling or the migrations have started must find them, not kill this
  // process and orphan the run. No handler runs before this synchronous code ends, so `startup` is set by then.
  const startup = startLocalServer({
    port: listenOn,
    adminToken: token,
    persistTo: path.join(STATE_ROOT, "state"),
    signal: starting.signal,
    progress: (line) => console.log(line), // each step, and what it waits for every 10 s
  });
  // Stopped while starting: stop() exits once the start-up has unwound, so main waits for that, never going on.
  const server = await startup.catch((err: unknown) => (stopping ? new Promise<never>(() => {}) : Promise.reject(err)));
  // A runtime that exited on its own (`runtime_failed`: a crash Miniflare could not restart) leaves agents retrying
  // against nothing: the demo stops, non-zero, as for an agent that died.
  server.child.once("exit", (code, signal) => {
    if (stopping) return;
    const what = `the coordinator's runtime ${endedWords(code, signal)}`;
    console.error(errorLine({ code: "runtime_exited", message: what, fix: "see its output above" }));
    void stop(1);
  });
  // Check, spawn and record in one synchronous step: no child starts after stop() took its list, so none is orphaned.
  const launch: Launch = (args, options) => {
    if (stopping) throw new Error("stopped");
    const child = spawn(path.join(ROOT, "node_modules", ".bin", "node"), args, options);
    agents.push(child);
    return child;
  };
  try {
    console.log(`… the coordinator answers on ${server.url}: starting the demo agents and submitting the examples`);
    await createDemoProduct(server.url, token);
    for (const f of FACTORIES) {
      const agent = await startAgent(server.url, token, f, launch);
      // A demo whose agent died would sit there with queued jobs: stop it, say so. An agent that failed says why
      // above; one killed by a signal (a newcomer's `kill -9`, to watch a crash) says nothing — "see its output
      // above" led nowhere: tell how to watch a host crash and come back instead.
      agent.once("exit", (code, signal) => {
        if (stopping) return;
        const what = `${f.name} ${endedWords(code, signal)}: the demo stops with any of its agents`;
        const fix = signal ? CRASH_FIX : "see its output above, then run `npm start` again";
        console.error(errorLine({ code: "agent_exited", message: what, fix }));
        void stop(1);
      });
    }
    const jobs = await submitExamples(server.url, token);
    console.log(`✔ Gigafactory is running on ${server.url}`);
    console.log(`  dashboard:   ${server.url}/`);
    console.log(`  API docs:    ${server.url}/api/v1/openapi.json`);
    console.log(`  admin token: ${token}`);
    const summary = demoSummary(jobs);
    for (const line of summary.lines) console.log(line);
    console.log("  try:");
    console.log(`    npx gigafactory login --url ${server.url} --token ${token} --product ${PRODUCT}`);
    console.log("    npx gigafactory jobs");
    console.log(`    npx gigafactory ${summary.next}`); // what works on that job as it stands (demo-summary)
    console.log("  Ctrl-C stops everything.");
    // Only the jobs this run created: a replayed idempotencyKey may answer a job the user submitted from examples/.
    const own = jobs.filter((j) => !j.replayed).map((j) => j.id);
    void shipFirstOwnTested(server.url, token, own, operator.signal, (line) => console.log(line));
  } catch (err) {
    // A stop under way failed this (a request to the coordinator it stopped, an enrollment it ended): not an error.
    if (stopping) return;
    const fix = "run `npm install`, and check that PORT is free";
    console.error(errorText({ code: "demo_failed", message: (err as Error).message, fix }));
    await stop(1);
  }
}

main().catch((err: unknown) => {
  // Only failures before the demo's own try block land here (refused start, bundling, the runtime not starting).
  console.error(startFailureText(err, "start_failed", "run `npm install` first, and check the output above"));
  process.exit(startFailureExit(err));
});
