// A repository's first clone on a host killed part-way (the agent's process tree SIGKILLed: a reboot, the OOM
// killer, systemd's final kill) does not break that repository on the host for good. The clone had gone straight to
// the mirror's path, and git writes the mirror's HEAD — naming git's own default branch, not the repository's —
// before it fetches anything: the next job saw a HEAD, took the mirror as complete and failed "has no commits on
// master" for every job of the repository from then on. Real git cloning over dumb HTTP from a loopback server that
// holds its answers until told, the clone's git found in /proc and SIGKILLed while it waits, then the next job's
// preparation against the now answering server. Also: what killed clones left is removed by the next clone of the
// repository once their process is gone, and a partial clone of a live process (another agent sharing the work
// dir) is left to it.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { discardWorkspace, mirrorName, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";
import { sh } from "./agent-git-fixture.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-mirror-crash-"));
const origin = path.join(root, "app.git");
const held: ServerResponse[] = [];
let holding = true;
/** A dumb-HTTP git server for `origin`: while `holding`, a request is kept unanswered (`held`). */
const server = createServer((req, res) => {
  if (holding) return void held.push(res);
  const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).replace(/^\/app\.git\//, "");
  try {
    res.end(readFileSync(path.join(origin, path.normalize(rel))));
  } catch {
    res.statusCode = 404;
    res.end();
  }
});
afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(root, { recursive: true, force: true });
});

/** The pid of a running `git clone` of `url`, found in /proc; undefined when there is none (yet). */
function clonePid(url: string): number | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
    } catch {
      continue;
    }
    if (argv[0] === "git" && argv.includes("clone") && argv.includes(url)) return Number(name);
  }
  return undefined;
}

/** Resolves once `check` returns a value: polls (a state to wait for, not a timed assertion). */
async function until<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a mirror's first clone killed part-way", () => {
  it("is made again by the next job of the repository, which starts from its default branch", async () => {
    // `trunk`: not git's default whatever init.defaultBranch says here, so a HEAD git wrote is not the repository's.
    execFileSync("git", ["init", "-q", "--bare", "-b", "trunk", origin]);
    const seed = path.join(root, "seed");
    execFileSync("git", ["init", "-q", "-b", "trunk", seed]);
    writeFileSync(path.join(seed, "README"), "app\n");
    sh(seed, "add", "README");
    sh(seed, "commit", "-q", "-m", "first");
    sh(seed, "push", "-q", origin, "trunk");
    sh(origin, "update-server-info");
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/app.git`;
    const host = { workDir: path.join(root, "w"), checkpointRemote: path.join(root, "cp.git") };
    const job = (id: string) =>
      ({ id, title: id, bodyMd: "", attempt: 1, leaseEpoch: 1, budget: {}, repo: url }) as Job;

    const first = prepareWorkspace(job("job_cut"), host);
    const failed = first.then(
      () => "prepared",
      (err: Error) => err.message,
    );
    await until(() => (held.length > 0 ? true : undefined)); // the clone is waiting on the server
    process.kill(await until(() => clonePid(url)), "SIGKILL");
    // Its HTTP helper still waits on the server, holding the pipes the failure is read from: cut it off too.
    for (const res of held.splice(0)) res.destroy();
    expect(await failed).toMatch(/clone/);

    // What clones killed with their agent left: one whose process is gone, one of a live agent sharing the dir.
    const mirror = path.join(host.workDir, "mirrors", mirrorName(url));
    const dead = spawnSync("true").pid as number;
    mkdirSync(`${mirror}.part-${dead}-0a0a0a0a/objects`, { recursive: true });
    mkdirSync(`${mirror}.part-${process.ppid}-0b0b0b0b`);

    holding = false;
    const ws = await prepareWorkspace(job("job_next"), host);
    expect(ws.base).toBe(sh(origin, "rev-parse", "trunk"));
    expect(readFileSync(path.join(ws.dir, "README"), "utf8")).toBe("app\n");
    const left = readdirSync(path.join(host.workDir, "mirrors")).sort();
    expect(left).toEqual([path.basename(mirror), `${path.basename(mirror)}.part-${process.ppid}-0b0b0b0b`]);
    await discardWorkspace(ws);
  });
});
