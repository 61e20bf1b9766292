// `npm start` is a demo a newcomer understands in a minute: jobs flow without manual steps, PORT,
// GIGAFACTORY_ADMIN_TOKEN and GF_SAMPLE_SECONDS (the sample jobs' length) are honoured, and stopping leaves nothing behind — SIGTERM to the top process (npm, as
// a process manager, Docker or systemd sends it) stops start.ts, the runtime, workerd and both agents; the same
// for `npm run dev`. A start after the coordinator's state alone was removed enrolls its agents afresh. A workerd
// that crashes and cannot be restarted takes `npm run dev` and `npm start` down with it, non-zero. A start on an
// existing state says each step as it begins (and, every 10 s, what it still waits for), never a silent stretch.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, onTestFinished } from "vitest";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { descendants, isRunning, stopTree, waitGone } from "../../scripts/process-tree.ts";
import { call, freePort } from "./harness.ts";
import { captured } from "./spawn-cleanup.ts";

/** Every live process whose command line mentions any needle (our temp dir, our port). */
function processesMentioning(...needles: string[]): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (needles.some((n) => cmd.includes(n)) && Number(pid) !== process.pid) out.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** How long each demo job's sample engine works, in seconds (`npm start` keeps a GF_SAMPLE_SECONDS it is given). */
const SAMPLE_SECONDS = "1";

/** Every demo this file started: a failed test must not leave one running (each test stops its own, too). */
const started: ChildProcess[] = [];

/** The process and everything under it, for checking afterwards that all of it is gone. */
const tree = (pid: number) => [pid, ...descendants(pid)];

/** `npm <script>` the way a user (or a process manager) starts it: npm → sh → node → …, npm on top. */
async function runDemo(detached = false, reuseState?: string, script = "start") {
  const state = reuseState ?? mkdtempSync(path.join(tmpdir(), "gf-demo-"));
  chmodSync(state, 0o755); // under root the agents' engines run as another user, whose work dirs are in here
  const port = await freePort();
  const token = `demo-admin-${port}`;
  const child: ChildProcess = spawn("npm", ["run", "--silent", script], {
    cwd: ROOT,
    // 1 s sample jobs (the demo's default is 4): these tests wait for jobs to finish and drain, not watch them work.
    env: toolEnv({
      PORT: String(port),
      GIGAFACTORY_ADMIN_TOKEN: token,
      GIGAFACTORY_LOCAL_STATE: state,
      GF_SAMPLE_SECONDS: SAMPLE_SECONDS,
    }),
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so the test can signal the group as a terminal's Ctrl-C does.
    detached,
  });
  started.push(child);
  // A failed test stops its own demo before the next test starts: left running until afterAll, the first test's
  // demo held the state dir the second reuses, and one red test read as three (`state_in_use`).
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) await stopTree(child.pid, "SIGTERM", 20_000);
  });
  const { exited, log } = captured(child);
  return { state, port, token, child, exited, log };
}

describe("npm start (the demo)", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const c of started)
      if (c.exitCode === null && c.signalCode === null && c.pid) await stopTree(c.pid, "SIGTERM", 20_000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("brings sample jobs to shipped, review and testing with no manual step, then stops cleanly on SIGTERM", async () => {
    const demo = await runDemo();
    dirs.push(demo.state);
    const url = `http://127.0.0.1:${demo.port}`;
    const stages = async () => {
      const r = await call<{ jobs: Array<{ stage: string }> }>(
        url,
        "GET",
        "/api/v1/products/demo/jobs?limit=50",
        demo.token,
        undefined,
        1000,
      ).catch(() => null);
      return new Set(r?.body?.jobs?.map((j) => j.stage) ?? []);
    };
    const deadline = Date.now() + 150_000;
    let seen = new Set<string>();
    while (Date.now() < deadline) {
      seen = await stages();
      if (seen.has("shipped") && seen.has("review") && seen.has("testing")) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect([...seen].sort(), demo.log()).toEqual(expect.arrayContaining(["review", "shipped", "testing"]));
    // Its engines worked as long as GF_SAMPLE_SECONDS said: `npm start` set 4 s over whatever it was given.
    const shipped = await call<{ jobs: Array<{ id: string }> }>(
      url,
      "GET",
      "/api/v1/products/demo/jobs?stage=shipped",
      demo.token,
    );
    type LogEvent = { type: string; data: { lines?: Array<{ text: string }> } };
    const events = await call<{ events: LogEvent[] }>(
      url,
      "GET",
      `/api/v1/products/demo/jobs/${shipped.body.jobs[0]?.id}/events?limit=500`,
      demo.token,
    );
    const working = events.body.events
      .filter((e) => e.type === "log")
      .flatMap((e) => e.data.lines ?? [])
      .filter((l) => l.text.startsWith("sample engine: working on"))
      .map((l) => l.text.replace(/.* for /, "for "));
    expect(working.length, demo.log()).toBeGreaterThan(0);
    expect(new Set(working)).toEqual(new Set([`for ${SAMPLE_SECONDS}s`]));
    expect(demo.log()).toContain(`admin token: ${demo.token}`);
    expect(demo.log()).toContain(`npx gigafactory watch job_`);
    // The local runtime names the state dir, workerd the port, each agent its state dir.
    const ours = [demo.state, `127.0.0.1:${demo.port}`];
    expect(processesMentioning(...ours).filter((p) => p.includes("workerd")).length).toBeGreaterThanOrEqual(1);
    // An agent spawning a child (git, its engine) shows it under the agent's own command line until the child's exec:
    // a process under one of the agents is not one. The list and each agent's descendants are separate reads of
    // /proc, so a short-lived child that exits between them still read "3, expected 2" in a fresh-clone run: the
    // count is asked again until the process table holds still (a state, not a delay).
    const topAgents = () => {
      const agents = processesMentioning(...ours)
        .filter((p) => p.includes("gigafactory-agent"))
        .map((p) => Number(p.split(" ")[0]));
      return agents.filter((pid) => !agents.some((agent) => descendants(agent).includes(pid)));
    };
    await expect.poll(() => topAgents().length, { timeout: 15_000 }).toBe(2);

    // SIGTERM to the top process only, as `kill <pid of npm start>` sends it.
    const pids = tree(demo.child.pid ?? 0);
    expect(pids.length).toBeGreaterThanOrEqual(5); // npm, node start.ts, the runtime, workerd, two agents
    demo.child.kill("SIGTERM");
    expect(await demo.exited).toBe(0);
    expect(demo.log()).toContain("✔ stopped");
    expect(await waitGone(pids, 30_000), `still running: ${pids.filter(isRunning).join(" ")}`).toBe(true);
    // No orphaned workerd, runtime or agent: nothing mentions the demo's state dir any more.
    const deadline2 = Date.now() + 10_000;
    while (processesMentioning(...ours).length > 0 && Date.now() < deadline2)
      await new Promise((r) => setTimeout(r, 200));
    expect(processesMentioning(...ours)).toEqual([]);
  });

  it("runs again on the same state and another PORT, its agents following the new URL; Ctrl-C stops everything", async () => {
    // The first run's state: its agents are enrolled already, with the first run's URL saved in their config.
    const demo = await runDemo(true, dirs[0]);
    if (!dirs.includes(demo.state)) dirs.push(demo.state);
    const connected = (name: string) => demo.log().includes(`[${name}] ✔ connected as ${name}`);
    const deadline = Date.now() + 90_000;
    while (!(connected("demo-docker") && connected("demo-gpu")) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(demo.log()).toContain("Gigafactory is running");
    expect(connected("demo-docker") && connected("demo-gpu"), demo.log()).toBe(true);
    expect(demo.log()).toContain(`connecting to ws://127.0.0.1:${demo.port}/`);
    // Each step of the start is said as it begins: on an existing state it printed nothing for ~40 s (pass 43).
    expect(demo.log()).toContain("… starting the local runtime (workerd, D1 migrations applied first)");
    expect(demo.log()).toContain(
      `… the coordinator answers on http://127.0.0.1:${demo.port}: starting the demo agents`,
    );
    const ours = [demo.state, `127.0.0.1:${demo.port}`];
    // Never -0: with no pid that would SIGINT this test runner's own process group.
    expect(demo.child.pid).toBeDefined();
    process.kill(-demo.child.pid!, "SIGINT");
    expect(await demo.exited).toBe(0);
    const deadline2 = Date.now() + 10_000;
    while (processesMentioning(...ours).length > 0 && Date.now() < deadline2)
      await new Promise((r) => setTimeout(r, 200));
    expect(processesMentioning(...ours)).toEqual([]);
  });

  it("runs again after its coordinator's state was removed, enrolling its agents afresh", async () => {
    // The first test's state, stopped cleanly with both agents enrolled (the test before this one started and stopped
    // it again): a start of its own only to get there cost a whole `npm start`. The last test breaks it, after this.
    const state = dirs[0] as string;
    const saved = (name: string) => existsSync(path.join(state, "demo", name, "config.json"));
    expect([saved("demo-docker"), saved("demo-gpu")]).toEqual([true, true]);
    const connected = (log: string, name: string) => log.includes(`[${name}] ✔ connected as ${name}`);
    const bothUp = async (d: { log: () => string }) => {
      const deadline = Date.now() + 120_000;
      while (!(connected(d.log(), "demo-docker") && connected(d.log(), "demo-gpu")) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      expect(connected(d.log(), "demo-docker") && connected(d.log(), "demo-gpu"), d.log()).toBe(true);
    };
    // A reset of the coordinator alone (`rm -rf .wrangler/state`): the agents' configs hold tokens it never issued.
    // Before, each later start's agent exited 3 ("enroll the host again") and the demo stopped with agent_exited.
    rmSync(path.join(state, "state"), { recursive: true, force: true });
    const again = await runDemo(false, state);
    await bothUp(again);
    expect(again.log()).toContain("[demo-docker] ✔ enrolled as demo-docker");
    expect(again.log()).not.toContain("✘ ERROR");
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("npm run dev: SIGTERM to npm stops the coordinator, workerd included", async () => {
    const dev = await runDemo(false, undefined, "dev");
    dirs.push(dev.state);
    const deadline = Date.now() + 90_000;
    while (!dev.log().includes("Gigafactory coordinator on") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(dev.log()).toContain(`Gigafactory coordinator on http://127.0.0.1:${dev.port}`);
    const pids = tree(dev.child.pid ?? 0);
    expect(pids.length).toBeGreaterThanOrEqual(3); // npm, node dev.ts, the runtime (and its workerd)
    dev.child.kill("SIGTERM");
    expect(await dev.exited).toBe(0);
    expect(await waitGone(pids, 30_000), `still running: ${pids.filter(isRunning).join(" ")}`).toBe(true);
  });

  it.each([
    ["dev", "Gigafactory coordinator on"],
    ["start", "Gigafactory is running"],
  ])("npm %s: a workerd that crashes and cannot be restarted stops everything, non-zero (runtime_failed)", async (script, ready) => {
    // `npm start` on the first test's state (agents enrolled already): a fresh demo's enrollments add ~10 s and
    // nothing to what this proves. The state is broken below; no test after this one uses it.
    const run = await runDemo(false, script === "start" ? dirs[0] : undefined, script);
    if (!dirs.includes(run.state)) dirs.push(run.state);
    const deadline = Date.now() + 120_000;
    while (!run.log().includes(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(run.log()).toContain(ready);
    const pids = tree(run.child.pid ?? 0);
    const workerd = pids.find((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd");
      } catch {
        return false;
      }
    });
    expect(workerd, run.log()).toBeDefined();
    // Its storage directory turned into a file, Miniflare's restart of the crashed workerd fails (ENOTDIR; first
    // seen with a state dir removed under a running runtime): before the fix, the runtime stayed up serving nothing.
    rmSync(path.join(run.state, "state", "v3"), { recursive: true, force: true });
    writeFileSync(path.join(run.state, "state", "v3"), "not a directory");
    process.kill(workerd ?? 0, "SIGKILL");
    expect(await run.exited, run.log()).not.toBe(0);
    expect(run.log()).toContain("✘ ERROR runtime_failed");
    expect(await waitGone(pids, 30_000), `still running: ${pids.filter(isRunning).join(" ")}`).toBe(true);
  });
});
