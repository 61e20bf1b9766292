// A second `npm start` / `npm run dev` while one runs fails at once and says why (scripts/start-preflight): on a port
// something answers on it talks to nothing there (it used to take the running coordinator for its own and run a
// demo against it whose agents, enrolled with the first one's tokens, took the first one's sockets over); on a state
// another live start holds it exits `state_in_use`, saying nothing about starting; and after a crash (the whole tree
// SIGKILLed, its lock left behind) the next start on the same state comes up.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { descendants, isRunning, waitGone } from "../../scripts/process-tree.ts";
import { freePort } from "./harness.ts";
import { captured, cleanedUpAfterAll } from "./spawn-cleanup.ts";

const { started, dirs } = cleanedUpAfterAll();

function stateDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "gf-start-second-"));
  dirs.push(d);
  return d;
}

/** `npm run <script>` as a user starts it, in its own process group (so a crash can take the whole tree). */
function npmRun(script: "start" | "dev", port: number, state: string) {
  const child = spawn("npm", ["run", "--silent", script], {
    cwd: ROOT,
    // 1 s sample jobs (the demo's 4 by default): a stop drains its agents' jobs sooner; nothing here times one.
    env: toolEnv({
      PORT: String(port),
      GIGAFACTORY_ADMIN_TOKEN: `second-${port}`,
      GIGAFACTORY_LOCAL_STATE: state,
      GF_SAMPLE_SECONDS: "1",
    }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  started.push(child);
  const { exited, out, err } = captured(child);
  return { child, exited, stdout: out, stderr: err };
}

async function until(what: string, ok: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The refusal: one `✘ ERROR code:` line on stderr, exit 2 (a setting to change, as the agent's), no stack trace. */
function expectRefused(r: { stderr: () => string }, code: number | null, errorCode: string): void {
  expect({ code, stderr: r.stderr() }).toMatchObject({ code: 2 });
  expect(r.stderr()).toMatch(new RegExp(`^✘ ERROR ${errorCode}: .+ / .+$`, "m"));
  expect(r.stderr()).not.toMatch(/^\s+at /m);
}

describe("a second start while one runs", () => {
  it("npm start on a port where a coordinator answers refuses with port_in_use and sends it nothing", async () => {
    // A coordinator's health, as the running one answers it: the old start took this for its own runtime.
    const seen: string[] = [];
    const running: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(req.url === "/api/v1/health" ? 200 : 404, { "content-type": "application/json" });
      res.end("{}");
    });
    const port = await freePort();
    await new Promise<void>((r) => running.listen(port, "127.0.0.1", r));
    try {
      const second = npmRun("start", port, stateDir());
      expectRefused(second, await second.exited, "port_in_use");
      expect(second.stderr()).toContain(`127.0.0.1:${port}`);
      expect(seen).toEqual([]);
    } finally {
      await new Promise((r) => running.close(r));
    }
  });

  it("npm run dev on the state a live one holds refuses with state_in_use; after a crash the next start comes up", async () => {
    const state = stateDir();
    const first = npmRun("dev", await freePort(), state);
    await until("the first coordinator", () => first.stdout().includes("✔ Gigafactory coordinator on"));

    const second = npmRun("dev", await freePort(), state);
    expectRefused(second, await second.exited, "state_in_use");
    // Refused before it starts anything, it does not first say it is starting (it printed "… applying D1 migrations").
    expect(second.stdout()).toBe("");
    // It names the holder: the first one's node process (under npm and its shell).
    const holder = Number(/\(pid (\d+)\)/.exec(second.stderr())?.[1]);
    expect(descendants(first.child.pid!)).toContain(holder);
    expect(first.child.exitCode).toBe(null); // the first one is untouched

    // A crash: the whole tree SIGKILLed at once, nothing of it runs to clean up, its lock file stays.
    const pids = [first.child.pid!, ...descendants(first.child.pid!)];
    process.kill(-first.child.pid!, "SIGKILL");
    for (const pid of pids) if (isRunning(pid)) process.kill(pid, "SIGKILL"); // the runtime's own group
    expect(await waitGone(pids, 30_000)).toBe(true);
    expect(existsSync(path.join(state, "gigafactory.pid"))).toBe(true);

    const third = npmRun("dev", await freePort(), state);
    await until("the coordinator after the crash", () => third.stdout().includes("✔ Gigafactory coordinator on"));
    third.child.kill("SIGTERM");
    await third.exited;
    // It released the lock on its way out: the next start does not even need to judge it stale.
    expect(existsSync(path.join(state, "gigafactory.pid"))).toBe(false);
  });
});
