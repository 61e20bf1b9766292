// The engine process: job on stdin, lines out, wall budget (one past Node's longest timer too), and stopping the
// whole process group — and, on Linux, what the engine started in a session of its own (setsid), which the group's
// signal misses.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isRunning, waitGone } from "../../scripts/process-tree.ts";
import { killOrphanEngine, startEngine } from "../../src/agent/engine-runner.ts";
import { newRunMark, RUN_MARK_VAR } from "../../src/agent/engine-strays.ts";
import { SAMPLE_ENGINE_SCRIPT } from "../../src/agent/engines.ts";
import type { LogStream } from "../../src/agent/log-batcher.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-eng-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(script: string, opts: { stdin?: string; wallSeconds?: number; env?: Record<string, string> } = {}) {
  const lines: Array<[LogStream, string]> = [];
  const eng = startEngine({
    argv: [process.execPath, "-e", script],
    cwd: dir,
    env: { ...(process.env as Record<string, string>), ...opts.env },
    stdin: opts.stdin ?? "",
    wallSeconds: opts.wallSeconds,
    onLine: (s, t) => lines.push([s, t]),
  });
  return { eng, lines };
}

describe("engine runner", () => {
  it("passes the job on stdin and streams stdout and stderr as lines", async () => {
    const { eng, lines } = run(
      "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{console.log('got:'+s.trim());console.error('warn');process.stdout.write('no newline')})",
      { stdin: "do it\n" },
    );
    const exit = await eng.exited;
    expect(exit).toMatchObject({ rc: 0, signal: null });
    expect(exit.stoppedFor).toBeUndefined();
    expect(lines).toEqual([
      ["stdout", "got:do it"],
      ["stderr", "warn"],
      ["stdout", "no newline"],
    ]);
  });

  it("reports the exit code of a failing engine", async () => {
    expect((await run("process.exit(3)").eng.exited).rc).toBe(3);
  });

  it("stops an engine over its wall budget and says so", async () => {
    const { eng } = run("setTimeout(()=>{}, 60000)", { wallSeconds: 1 });
    const exit = await eng.exited;
    expect(exit.stoppedFor).toBe("budget_wall");
    expect(exit.durationMs).toBeLessThan(60_000); // stopped, not run to its natural end (a bound, not a speed)
  });

  it("keeps a wall budget past Node's longest timer as a long one, not one that ends at once", async () => {
    // 30 days: as a timer of 2^31 ms or more, Node fired it after 1 ms and the engine was stopped as `budget_wall`.
    const { eng } = run("setTimeout(()=>process.exit(0), 300)", { wallSeconds: 30 * 86_400 });
    const exit = await eng.exited;
    expect(exit.stoppedFor).toBeUndefined();
    expect(exit.rc).toBe(0);
  });

  it("SIGKILLs an engine that ignores SIGTERM after the grace, children included", async () => {
    const childPidFile = path.join(dir, "child.pid");
    const script = `process.on('SIGTERM',()=>{});
      const c=require('child_process').spawn(process.execPath,['-e','process.on("SIGTERM",()=>{});setTimeout(()=>{},60000)'],{stdio:'ignore'});
      require('fs').writeFileSync(${JSON.stringify(childPidFile)}, String(c.pid)); console.log('ready'); setTimeout(()=>{},60000)`;
    const { eng, lines } = run(script);
    while (!lines.some(([, t]) => t === "ready")) await new Promise((r) => setTimeout(r, 20));
    const child = Number(readFileSync(childPidFile, "utf8"));
    const t0 = Date.now();
    eng.stop("cancel", 300);
    const exit = await eng.exited;
    expect(exit).toMatchObject({ signal: "SIGKILL", stoppedFor: "cancel" });
    expect(Date.now() - t0).toBeLessThan(60_000); // killed, not left to its 60 s timer (a bound, not a speed)
    // Wait for the state, not a delay: the grandchild may linger as a zombie until init reaps it — and a zombie is dead.
    expect(await waitGone([child], 5_000)).toBe(true);
    expect(isRunning(child)).toBe(false);
  });

  it.runIf(process.platform === "linux")(
    "kills what the engine started in a session of its own (setsid: out of its process group) when it exits",
    async () => {
      // A daemon (pg_ctl start, redis --daemonize, `setsid cmd &`) leaves the engine's group: the group's SIGKILL
      // missed it, and it ran on after the job — forever, for a server.
      const strayPidFile = path.join(dir, "stray.pid");
      const script = `const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{detached:true,stdio:'ignore'});
        c.unref(); require('fs').writeFileSync(${JSON.stringify(strayPidFile)}, String(c.pid)); console.log('ready')`;
      const { eng, lines } = run(script);
      expect(await eng.exited).toMatchObject({ rc: 0, strays: 1 });
      expect(lines).toContainEqual(["agent", "killed 1 process the engine left running outside its process group"]);
      const stray = Number(readFileSync(strayPidFile, "utf8"));
      try {
        expect(await waitGone([stray], 5_000)).toBe(true);
      } finally {
        if (isRunning(stray)) process.kill(stray, "SIGKILL"); // the test's own cleanup when the runner missed it
      }
    },
  );

  it.runIf(process.platform === "linux")(
    "an engine an earlier agent process left running is killed with what it started in a session of its own",
    async () => {
      // As a SIGKILLed agent leaves it: the engine (its group leader, cwd in the workspace, marked) and a daemon.
      const strayPidFile = path.join(dir, "orphan-stray.pid");
      const script = `const c=require('child_process').spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{detached:true,stdio:'ignore'});
        c.unref(); require('fs').writeFileSync(${JSON.stringify(strayPidFile)}, String(c.pid)); setInterval(()=>{},1000)`;
      rmSync(strayPidFile, { force: true });
      const orphan = spawn(process.execPath, ["-e", script], {
        cwd: dir,
        env: { ...process.env, [RUN_MARK_VAR]: newRunMark() },
        detached: true,
        stdio: "ignore",
      });
      const leader = orphan.pid as number;
      while (!existsSync(strayPidFile) || readFileSync(strayPidFile, "utf8") === "")
        await new Promise((r) => setTimeout(r, 20));
      const stray = Number(readFileSync(strayPidFile, "utf8"));
      try {
        expect(killOrphanEngine(leader, dir)).toBe(true);
        expect(await waitGone([leader, stray], 5_000)).toBe(true);
      } finally {
        for (const pid of [leader, stray]) if (isRunning(pid)) process.kill(pid, "SIGKILL");
      }
    },
  );

  it("reports an engine that cannot start instead of throwing", async () => {
    const eng = startEngine({ argv: ["/nonexistent/engine"], cwd: dir, env: {}, stdin: "", onLine: () => {} });
    const exit = await eng.exited;
    expect(exit.spawnError).toMatch(/^\/nonexistent\/engine: no such file \(ENOENT\)/);
  });

  it("the bundled sample engine edits files, prints gf_insights and honours SIGTERM", async () => {
    const lines: string[] = [];
    const eng = startEngine({
      argv: [process.execPath, SAMPLE_ENGINE_SCRIPT],
      cwd: dir,
      env: {
        ...(process.env as Record<string, string>),
        GF_JOB_ID: "job_x",
        GF_ATTEMPT: "1",
        GF_JOB_TITLE: "Add a thing",
      },
      stdin: "Please add a thing.\ngf-sample-seconds: 0.2\n",
      onLine: (_s, t) => lines.push(t),
    });
    expect((await eng.exited).rc).toBe(0);
    expect(readFileSync(path.join(dir, "src", "add-a-thing.txt"), "utf8")).toMatch(/Please add a thing/);
    expect(readFileSync(path.join(dir, "NOTES.md"), "utf8")).toMatch(/attempt 1 finished: Add a thing/);
    expect(JSON.parse(lines[lines.length - 1] as string).gf_insights.tokensIn).toBeGreaterThan(0);

    // Stopped once it says it is working — its SIGTERM handler is set by then. A fixed 300 ms wait was shorter than
    // a loaded CI box took to get there (a fresh-clone run failed here): Node's default SIGTERM ended it instead.
    let working: () => void = () => {};
    const started = new Promise<void>((r) => {
      working = r;
    });
    const slow = startEngine({
      argv: [process.execPath, SAMPLE_ENGINE_SCRIPT],
      cwd: dir,
      env: { ...(process.env as Record<string, string>), GF_SAMPLE_SECONDS: "30" },
      stdin: "slow",
      onLine: (_s, t) => {
        if (t.startsWith("sample engine: working on")) working();
      },
    });
    await started;
    slow.stop("cancel", 2000);
    expect(await slow.exited).toMatchObject({ rc: 143, stoppedFor: "cancel" });
  });
});
