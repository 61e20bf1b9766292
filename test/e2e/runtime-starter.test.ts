// The local runtime answers to the process that started it (scripts/runtime-ready, scripts/local-server): a start
// whose port something else answers on by the time its runtime binds — taken after its preflight — fails with
// `port_in_use` and sends that other server nothing (it used to take its health for its own runtime's and run its
// demo against it); and a runtime whose starter is killed outright while it is still coming up stops on its own
// (it used to take init for its parent and serve on, orphaned, holding the port and the state).
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort, ROOT, startLocalServer, toolEnv } from "../../scripts/local-server.ts";
import { descendants, isRunning, waitGone } from "../../scripts/process-tree.ts";

const dirs: string[] = [];
/** Every process of these tests still running at the end: SIGKILLed by pid, so a failure leaves nothing behind. */
const pids = new Set<number>();
afterAll(async () => {
  for (const pid of pids) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  await waitGone([...pids], 10_000);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh copy of the migrated state global-setup made. */
function state(): string {
  const d = mkdtempSync(path.join(tmpdir(), "gf-runtime-starter-"));
  dirs.push(d);
  cpSync(inject("e2eMigratedState"), d, { recursive: true });
  return d;
}

/** Live processes whose command line names `needle` (this test's state dir). */
function running(needle: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, "utf8").includes(needle) && isRunning(Number(p))) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** What of `root`'s tree (as seen at any poll) still runs after `ms`; [] as soon as all of it is gone. */
async function leftOf(root: number, ms: number): Promise<number[]> {
  const seen = new Set([root]);
  const deadline = Date.now() + ms;
  for (;;) {
    for (const p of descendants(root)) seen.add(p);
    for (const p of seen) pids.add(p);
    const left = [...seen].filter(isRunning);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(process.platform === "linux")("the local runtime and its starter", () => {
  it("a port another server answers on when the runtime binds: port_in_use, and nothing sent there", async () => {
    const seen: string[] = [];
    const other: Server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(req.url === "/api/v1/health" ? 200 : 404, { "content-type": "application/json" });
      res.end("{}");
    });
    const port = await freePort();
    await new Promise<void>((r) => other.listen(port, "127.0.0.1", r));
    const persistTo = state();
    try {
      const opts = { port, persistTo, adminToken: "starter", bundle: inject("e2eBundle"), migrated: true };
      const outcome = await startLocalServer(opts).then(
        async (server) => {
          if (server.child.pid) pids.add(server.child.pid);
          await server.stop();
          return "took the other server for its own";
        },
        (err: { code?: string; message: string }) => `${err.code}: ${err.message}`,
      );
      expect(outcome).toMatch(new RegExp(`^port_in_use: 127\\.0\\.0\\.1:${port} `));
      expect(seen).toEqual([]);
      // Its runtime and workerd are gone: nothing of it goes on writing the state.
      expect(await waitGone(running(persistTo), 10_000)).toBe(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it("a starter killed outright while its runtime comes up: the runtime and its workerd stop", async () => {
    const persistTo = state();
    const port = await freePort();
    const opts = { port, persistTo, adminToken: "starter", bundle: inject("e2eBundle"), migrated: true };
    // The starter: a process that starts the runtime as npm start and npm run dev do (scripts/local-server).
    const code = `const { startLocalServer } = await import(${JSON.stringify(path.join(ROOT, "scripts", "local-server.ts"))});
await startLocalServer(${JSON.stringify(opts)});
setInterval(() => {}, 1000);`;
    const starter: ChildProcess = spawn(process.execPath, ["--input-type=module", "-e", code], {
      cwd: ROOT,
      env: toolEnv(),
      stdio: "ignore",
    });
    pids.add(starter.pid!);
    let runtime: number | undefined;
    const deadline = Date.now() + 30_000;
    while (runtime === undefined && Date.now() < deadline) {
      runtime = descendants(starter.pid!).find((p) => running("local-runtime.ts").includes(p));
      if (runtime === undefined) await new Promise((r) => setTimeout(r, 20));
    }
    expect(runtime).toBeDefined();
    pids.add(runtime!);
    // Still loading (Miniflare, wrangler's config): it has not installed its parent watch yet.
    process.kill(starter.pid!, "SIGKILL");
    // Everything of it goes: once up, it finds its starter gone and disposes its workerd (30 s: a loaded machine).
    expect(await leftOf(runtime!, 30_000)).toEqual([]);
  });
});
