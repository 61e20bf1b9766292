// A prompt-injected engine cannot become the factory: an engine that tries to read the agent's config.json and
// /proc/<agent>/environ gets neither the factory token nor any other credential of the agent (run as a separate
// user when the agent is root, with an allow-listed environment), and hostile `repo` values are refused at submit.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reachableSampleArgs } from "../../scripts/engine-user-reach.ts";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { findOnPath, hostPathLookup } from "../../src/agent/capabilities.ts";
import { ADMIN, call, type Harness, P, startHarness } from "./harness.ts";

const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const BIN = path.join(ROOT, "bin", "gigafactory-agent.mjs");
const tmp = mkdtempSync(path.join(tmpdir(), "gf-e2e-iso-"));
chmodSync(tmp, 0o755); // the engine's own user must reach its work dir under here
const PRODUCT = "iso";
const BWRAP = findOnPath("bwrap", hostPathLookup()) !== undefined;
/** An environment secret of the agent's: allow-listing must keep it from the engine as well. */
const AGENT_SECRET = "agent-only-secret-5f1c";

/** The thief: prints what it can read of the agent's credentials, then the engine's own identity. */
const THIEF = `#!/bin/sh
echo "uid=$(id -u)"
echo "--- config"; cat "$1/config.json" 2>&1
echo "--- environ"; tr '\\0' '\\n' < /proc/$PPID/environ 2>&1
echo "--- own env"; env
echo "--- cwd $(pwd)"
`;

function agent(
  args: string[],
  env: Record<string, string> = {},
): { proc: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const proc = spawn(NODE, [BIN, ...args], { cwd: ROOT, env: toolEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  return { proc, out: () => out, exited: new Promise((r) => proc.once("exit", r)) };
}

async function poll<T>(what: string | (() => string), ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe("the engine has no path to the factory's credentials", () => {
  let h: Harness;
  const started: ChildProcess[] = [];
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    for (const p of started) if (p.exitCode === null) p.kill("SIGKILL");
    await h?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = <T = Record<string, unknown>>(method: string, p: string, json?: unknown) =>
    call<T>(h.url, method, `${P(PRODUCT)}${p}`, ADMIN, json);

  /** Enrolls `host`, runs its agent with `extra` flags and the thief engine; returns the job's log and the token. */
  async function steal(host: string, extra: string[]): Promise<{ log: string; token: string; stateDir: string }> {
    const stateDir = path.join(tmp, host);
    const code = await api<{ code: string }>("POST", "/factories/enrollment-codes", {});
    const enroll = agent([
      "enroll",
      "--url",
      h.url,
      "--product",
      PRODUCT,
      "--code",
      code.body.code,
      "--name",
      host,
      "--state-dir",
      stateDir,
    ]);
    expect(await enroll.exited, enroll.out()).toBe(0);
    const token = (JSON.parse(readFileSync(path.join(stateDir, "config.json"), "utf8")) as { token: string }).token;
    const thief = path.join(tmp, "thief.sh");
    writeFileSync(thief, THIEF, { mode: 0o755 });
    const run = agent(
      [
        "run",
        "--state-dir",
        stateDir,
        "--work-dir",
        path.join(tmp, `${host}-work`),
        "--engine",
        `thief=sh ${thief} ${stateDir}`,
        // In a checkout `nobody` cannot enter, the default sample engine must be a reachable copy too.
        ...reachableSampleArgs(ROOT),
        "--json",
        ...extra,
      ],
      // The token in the environment too: the engine must not see it there either.
      { GIGAFACTORY_FACTORY_TOKEN: token, AGENT_DB_PASSWORD: AGENT_SECRET },
    );
    started.push(run.proc);
    await poll(
      () => `connected; agent said: ${run.out()}`,
      60_000,
      async () => (run.out().includes('"event":"connected"') ? true : undefined),
    );
    // `engine:thief` was not granted at enrollment: the operator approves what the host declared (else no routing).
    const fleet = await api<{ factories: Array<{ id: string; name: string }> }>("GET", "/factories");
    const me = fleet.body.factories.find((f) => f.name === host);
    expect(me, JSON.stringify(fleet.body)).toBeDefined();
    const approved = await api("POST", `/factories/${me?.id}/capabilities/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    const job = await api<{ id: string }>("POST", "/jobs", {
      manifest: { title: "steal", engine: "thief" },
      bodyMd: "steal it",
    });
    expect(job.status).toBe(201);
    await poll("the job to finish", 60_000, async () => {
      const j = await api<{ stage: string }>("GET", `/jobs/${job.body.id}`);
      return ["testing", "failed", "queued"].includes(j.body.stage) && j.body.stage !== "queued" ? true : undefined;
    });
    const events = await api<{ events: Array<{ type: string; data: { lines?: Array<{ text: string }> } }> }>(
      "GET",
      `/jobs/${job.body.id}/events?limit=500`,
    );
    const log = events.body.events.flatMap((e) => e.data.lines?.map((l) => l.text) ?? []).join("\n");
    run.proc.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    return { log, token, stateDir };
  }

  // Needs another user (root) or a sandbox: a same-user engine without one is the README's stated residual risk.
  it.skipIf(os.userInfo().uid !== 0 && !BWRAP)(
    "an engine that cats config.json and /proc/<agent>/environ reads no token and no agent secret",
    async () => {
      const { log, token, stateDir } = await steal("iso-host", []);
      expect(log).toContain("--- environ"); // the thief ran
      const secret = token.slice(-43);
      expect(log).not.toContain(secret);
      expect(log).not.toContain(AGENT_SECRET);
      expect(log).not.toMatch(/GIGAFACTORY_/);
      if (process.getuid?.() === 0) expect(log).not.toMatch(/^uid=0$/m); // a root agent runs engines as another user
      const cwd = /^--- cwd (.*)$/m.exec(log)?.[1] ?? "";
      expect(cwd === stateDir || cwd.startsWith(`${stateDir}/`), cwd).toBe(false); // not under the state dir
    },
  );

  // Same user, when the operator asks for it: only a sandbox keeps the token out of reach (skipped without bwrap).
  it.skipIf(!BWRAP || os.userInfo().uid !== 0)(
    "with --engine-user naming the agent's own user, bubblewrap hides the state dir",
    async () => {
      const { log, token } = await steal("iso-box", ["--engine-user", os.userInfo().username]);
      expect(log).toContain("--- environ");
      expect(log).not.toContain(token.slice(-43));
      expect(log).not.toContain(AGENT_SECRET);
      expect(log).toMatch(/^uid=0$/m); // the agent's own user, confined by the sandbox instead
    },
  );

  it("refuses hostile repo values at submit, before any factory sees them", async () => {
    for (const repo of ["--upload-pack=touch /tmp/gf-pwned", "ext::sh -c touch% /tmp/gf-pwned", "file:///etc"]) {
      const r = await api<{ code: string; detail: string }>("POST", "/jobs", {
        manifest: { title: "x", repo },
        bodyMd: "",
      });
      expect(r.status, repo).toBe(400);
      expect(r.body.code).toBe("invalid_manifest");
      expect(r.body.detail).toMatch(/repo/);
    }
  });
});
