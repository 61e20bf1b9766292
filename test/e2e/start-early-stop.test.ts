// `npm start` and `npm run dev` stopped while they are still starting (bundling the Worker with wrangler, the
// runtime applying the D1 migrations or coming up) stop everything they started:
// SIGTERM to npm — what systemd, Docker or a `kill` of the PID sends — left the wrangler runs orphaned, spinning a
// core each and never exiting, because the stop handler was installed only once the coordinator answered.
// Stopped while a demo factory enrolls, `npm start` exited and left that enrollment running, orphaned (it hides
// its command line, holding a code): nothing stopped it, and one that ended in time started the factory's agent.
// And `npm start` itself killed outright (SIGKILL, the OOM killer) once it runs: its runtime stopped, but its agents,
// each in its own process group, ran on orphaned, holding their state dirs (the next start's agents: state_in_use).
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { descendants, isRunning, stopTree } from "../../scripts/process-tree.ts";
import { freePort } from "./harness.ts";
import { captured } from "./spawn-cleanup.ts";

const started: ChildProcess[] = [];
const dirs: string[] = [];
/** Everything those starts spawned, so that a failing test still leaves nothing behind. */
const seen = new Set<number>();
afterAll(async () => {
  for (const c of started)
    if (c.exitCode === null && c.signalCode === null && c.pid) await stopTree(c.pid, "SIGTERM", 20_000);
  const left = [...seen, ...dirs.flatMap((d) => processesMentioning(d).map((p) => Number(p.split(" ")[0])))];
  for (const pid of left) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every live process whose command line mentions `needle` (our temp state dir), as `pid command`. */
function processesMentioning(needle: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
      if (cmd.includes(needle) && Number(pid) !== process.pid && isRunning(Number(pid)))
        out.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** The command lines of `root`'s live descendants, each recorded in `mine` and `seen`. */
function commandsUnder(root: number, mine: Set<number>): string[] {
  return descendants(root).flatMap((pid) => {
    seen.add(pid);
    mine.add(pid);
    try {
      return [readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ")];
    } catch {
      return [];
    }
  });
}

async function until(what: string, ok: () => boolean, ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a start stopped while it starts", () => {
  it.each([
    ["start", "wrangler deploy --dry-run"],
    ["start", "local-runtime.ts"],
    ["start", "gigafactory-agent.mjs enroll"],
    ["dev", "--migrate"],
  ])("npm %s: SIGTERM to npm while `%s` runs stops it and everything else, exit 0", async (script, phase) => {
    const state = mkdtempSync(path.join(tmpdir(), "gf-early-stop-"));
    dirs.push(state);
    chmodSync(state, 0o755);
    const port = await freePort();
    const child = spawn("npm", ["run", "--silent", script], {
      cwd: ROOT,
      env: toolEnv({
        PORT: String(port),
        GIGAFACTORY_ADMIN_TOKEN: `early-${port}`,
        GIGAFACTORY_LOCAL_STATE: state,
        // A real bundling to stop: with the checkout's bundle cached (scripts/bundle-cache) no wrangler run starts.
        GF_NO_BUNDLE_CACHE: phase.startsWith("wrangler") ? "1" : "",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(child);
    const { exited, log: output } = captured(child);
    const mine = new Set<number>();
    const under = () => commandsUnder(child.pid ?? 0, mine);
    await until(`${phase} under npm ${script}`, () => under().some((c) => c.includes(phase))).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
    under();

    child.kill("SIGTERM");
    expect(await exited, output()).toBe(0);
    // Nothing it started runs on: no wrangler run, runtime or workerd naming the state dir, nor any process seen.
    await until("the start's processes to go", () => processesMentioning(state).length === 0, 20_000).catch(() => {});
    expect(processesMentioning(state), output()).toEqual([]);
    expect([...mine].filter(isRunning), output()).toEqual([]);
    expect(output()).not.toContain("✘ ERROR");
  });
});

describe("a start killed outright", () => {
  it("SIGKILL to the start script once its agents run: they drain and exit, as its runtime does", async () => {
    const state = mkdtempSync(path.join(tmpdir(), "gf-killed-"));
    dirs.push(state);
    chmodSync(state, 0o755);
    const port = await freePort();
    const child = spawn("npm", ["run", "--silent", "start"], {
      cwd: ROOT,
      // 1 s sample jobs (the demo's 4 by default): the agents drain sooner once they notice the start is gone.
      env: toolEnv({
        PORT: String(port),
        GIGAFACTORY_ADMIN_TOKEN: `killed-${port}`,
        GIGAFACTORY_LOCAL_STATE: state,
        GF_SAMPLE_SECONDS: "1",
      }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    started.push(child);
    const { log: output } = captured(child);
    const mine = new Set<number>();
    const running = (what: string) => commandsUnder(child.pid ?? 0, mine).filter((c) => c.includes(what)).length;
    await until("both demo agents to run", () => running("gigafactory-agent.mjs run") === 2).catch((err: Error) => {
      throw new Error(`${err.message}\n${output()}`);
    });
    commandsUnder(child.pid ?? 0, mine);
    const script = descendants(child.pid ?? 0).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("scripts/start.ts"),
    );
    expect(script, output()).toBeDefined();
    process.kill(script as number, "SIGKILL");
    // A state, not a time: every process the start had started is gone (the agents drain in ~1 s once they notice).
    // 90 s: a draining agent whose coordinator is gone waits out its drain (8 s) and its release (15 s).
    await until("everything the start started to go", () => [...mine].filter(isRunning).length === 0, 90_000).catch(
      () => {},
    );
    expect(
      [...mine].filter(isRunning).map((pid) => `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8")}`),
      output(),
    ).toEqual([]);
    expect(processesMentioning(state), output()).toEqual([]);
  });
});
