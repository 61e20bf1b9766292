// The engine runs with no path to the factory's credentials: under root it is another user (real processes, real
// git, no mocks) whose workspace, checkpoints and diff work as before while config.json and /proc/<agent>/environ
// stay unreadable; and the agent itself refuses hostile or local `repo` values before running git.

import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reachableSampleArgs } from "../../scripts/engine-user-reach.ts";
import { checkpointMessage, pushCheckpoint, snapshot } from "../../src/agent/checkpoint.ts";
import { engineEnv } from "../../src/agent/command-template.ts";
import { startEngine } from "../../src/agent/engine-runner.ts";
import { engineHome, lookupUser, type RunAs, resolveEngineUser } from "../../src/agent/engine-user.ts";
import { runDiff } from "../../src/agent/run-diff.ts";
import { detectSandbox, type Sandbox, sandboxedArgv } from "../../src/agent/sandbox.ts";
import { discardWorkspace, prepareWorkspace } from "../../src/agent/workspace.ts";
import type { Job } from "../../src/core/model.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-eu-"));
chmodSync(root, 0o755); // the engine user must reach the work dir below
afterAll(() => rmSync(root, { recursive: true, force: true }));
const isRoot = process.getuid?.() === 0;
const job = (id: string, extra: Partial<Job> = {}): Job =>
  ({ id, title: id, bodyMd: "", attempt: 1, budget: {}, ...extra }) as Job;

describe("resolveEngineUser", () => {
  const users: Record<string, RunAs> = {
    nobody: { name: "nobody", uid: 65534, gid: 65534, home: "/nonexistent" },
    root: { name: "root", uid: 0, gid: 0, home: "/root" },
    me: { name: "me", uid: 1000, gid: 1000, home: "/home/me" },
  };
  const lookup = (u: string) => users[u];

  it("runs engines as nobody when the agent is root and nothing was asked", () => {
    expect(resolveEngineUser(undefined, 0, lookup)?.name).toBe("nobody");
  });
  it("keeps the agent's own user when not root, or when that user is named", () => {
    expect(resolveEngineUser(undefined, 1000, lookup)).toBeUndefined();
    expect(resolveEngineUser("me", 1000, lookup)).toBeUndefined();
  });
  it("refuses root, an unknown user, and another user without root", () => {
    expect(() => resolveEngineUser("root", 1000, lookup)).toThrow(/root/);
    expect(() => resolveEngineUser("ghost", 0, lookup)).toThrow(/no such user ghost/);
    expect(() => resolveEngineUser("nobody", 1000, lookup)).toThrow(/needs the agent to run as root/);
  });
});

describe("the agent refuses a hostile repo itself (a coordinator may not have validated it)", () => {
  const opts = { workDir: path.join(root, "w0"), checkpointRemote: path.join(root, "w0", "checkpoints.git") };
  it.each([
    "--upload-pack=touch MARKER",
    "ext::sh -c touch% MARKER",
    "file://MARKER",
  ])("refuses %j without running it", async (repo) => {
    const marker = path.join(root, "pwned");
    await expect(prepareWorkspace(job("job_h1", { repo: repo.replace("MARKER", marker) }), opts)).rejects.toThrow(
      /refused/,
    );
    expect(existsSync(marker)).toBe(false);
  });

  it("clones a path on this host only when the operator allowed local repositories", async () => {
    await expect(prepareWorkspace(job("job_h2", { repo: "/srv/git/app.git" }), opts)).rejects.toThrow(
      /--allow-local-repos/,
    );
  });
});

describe.skipIf(!isRoot)("as root: the engine and git run as another user", () => {
  const user = lookupUser("nobody") as RunAs;
  const workDir = path.join(root, "work");
  const stateDir = path.join(root, "state");
  const token = "gf_iso_SECRETSECRETSECRETSECRETSECRETSECRETSECRET1";

  it("the engine, as nobody, cannot read config.json nor the agent's /proc/<pid>/environ", async () => {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    chmodSync(stateDir, 0o700);
    writeFileSync(path.join(stateDir, "config.json"), JSON.stringify({ token }), { mode: 0o600 });
    mkdirSync(workDir, { recursive: true, mode: 0o755 });
    const owner = { ...user, home: engineHome(user, workDir) };
    const ws = await prepareWorkspace(job("job_e1"), {
      workDir,
      checkpointRemote: path.join(workDir, "cp.git"),
      owner,
    });
    expect(statSync(ws.dir).uid).toBe(user.uid);
    const env = engineEnv(
      { ...process.env, GIGAFACTORY_FACTORY_TOKEN: token },
      { title: "t" },
      {
        job_file: "",
        workdir: ws.dir,
        job_id: "job_e1",
        attempt: "1",
      },
      { user: owner },
    );
    const lines: string[] = [];
    const script = `id -u; cat ${stateDir}/config.json; tr '\\0' '\\n' < /proc/${process.pid}/environ; env; echo hi > made.txt`;
    const eng = startEngine({
      argv: ["sh", "-c", script],
      cwd: ws.dir,
      env,
      as: owner,
      stdin: "",
      onLine: (_s, t) => lines.push(t),
    });
    await eng.exited;
    const out = lines.join("\n");
    expect(out).toMatch(new RegExp(`^${user.uid}$`, "m"));
    expect(out).toMatch(/Permission denied/);
    expect(out).not.toContain("SECRETSECRET");

    // The agent's git work in that workspace runs as the engine user too, and still works.
    const snap = await snapshot(ws, undefined, checkpointMessage("job_e1", 1), true);
    expect((await pushCheckpoint(ws, snap.sha)).branch).toBe("gf/wip/job_e1-e0"); // branches carry the lease epoch
    expect((await runDiff(ws, snap.sha)).patch?.toString("utf8")).toMatch(/\+hi/);
    const owners = execFileSync("find", [ws.dir, path.join(workDir, "cp.git"), "-not", "-user", String(user.uid)], {
      encoding: "utf8",
    });
    expect(owners).toBe(""); // nothing in the engine's tree belongs to root, which would make root's git obey it
    await discardWorkspace(ws);
    expect(existsSync(ws.dir)).toBe(false);
  });
});

describe.skipIf(process.platform !== "linux")("a token given on the command line", () => {
  it("is wiped from /proc/<agent>/cmdline, which every local user (and every engine) can read", async () => {
    const root2 = mkdtempSync(path.join(tmpdir(), "gf-agent-argv-"));
    chmodSync(root2, 0o755); // under root the engine user must reach the work dir beside the state dir
    const token = "gf_iso_ARGVSECRETARGVSECRETARGVSECRETARGVSECRET12";
    const bin = path.resolve(import.meta.dirname, "../../bin/gigafactory-agent.mjs");
    const argv = [bin, "run", "--url", "http://127.0.0.1:2", "--product", "iso", "--token", token];
    const node = path.resolve(import.meta.dirname, "../../node_modules/.bin/node"); // the pinned Node 22
    // A checkout `nobody` cannot enter (e.g. under /root): a reachable copy of the sample (scripts/engine-user-reach).
    const asUs = reachableSampleArgs(path.resolve(import.meta.dirname, "../.."));
    const agent = spawn(node, [...argv, "--state-dir", path.join(root2, "s"), "--engine", "x=sh", ...asUs, "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    agent.stdout.on("data", (d) => {
      out += d;
    });
    agent.stderr.on("data", (d) => {
      out += d;
    });
    try {
      // "connecting" is printed after the title is set: wait for that state, then read what `ps` would show.
      while (!out.includes('"event":"connecting"') && agent.exitCode === null)
        await new Promise((r) => setTimeout(r, 20));
      expect(out).toContain('"event":"connecting"');
      expect(readFileSync(`/proc/${agent.pid}/cmdline`, "utf8")).not.toContain("ARGVSECRET");
    } finally {
      agent.kill("SIGKILL");
      rmSync(root2, { recursive: true, force: true });
    }
  });
});

const box = detectSandbox(path.join(root, "box-state"), path.join(root, "box-state", "config.json"));
describe.skipIf(box === undefined)("without another user: the bubblewrap sandbox (when bwrap works here)", () => {
  it("the engine, as the agent's own user, sees an empty state dir and no /proc/<agent>/environ", async () => {
    const stateDir = path.join(root, "box-state");
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(stateDir, "config.json"), '{"token":"gf_iso_BOXSECRET"}', { mode: 0o600 });
    const lines: string[] = [];
    const script = `ls -A ${stateDir}; cat ${stateDir}/config.json; cat /proc/${process.pid}/environ; echo done`;
    const eng = startEngine({
      argv: sandboxedArgv(["sh", "-c", script], box as Sandbox),
      cwd: root,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
      stdin: "",
      onLine: (_s, t) => lines.push(t),
    });
    await eng.exited;
    expect(lines).toContain("done");
    expect(lines.join("\n")).not.toContain("BOXSECRET"); // the state dir is an empty tmpfs in the sandbox
    // Another PID namespace with its own /proc: this (the agent's) process is not there to read.
    expect(lines.some((l) => l.includes(`/proc/${process.pid}/environ`) && /No such file/.test(l))).toBe(true);
  });
});
