// What an engine started lives on after the engine and its agent are gone, and the next agent stops it
// (agent/orphan-group): a SIGKILLed agent's engine that has since died (at its next write to the agent's dead pipe)
// leaves its process group — a server, a browser — running under init; after welcome the restarted agent kills that
// group when one of its members still works in the job's workspace, and says `stopped` once it is gone. It used to
// find the engine's pid gone, drop the record and leave the group running for good. A leaderless group working
// elsewhere (a reused pid's) is left alone. Real processes, stopped by pid in every case.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRunning, waitGone } from "../../scripts/process-tree.ts";
import { reapOrphans } from "../../src/agent/orphans.ts";
import { jobDir } from "../../src/agent/workspace.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import { artifactServer, fakeSupervisor, tempAgent, until } from "./agent-fakes.ts";

let rest: Awaited<ReturnType<typeof artifactServer>>;
beforeAll(async () => {
  rest = await artifactServer();
});
/** Every process these tests started: SIGKILLed by pid at the end, whatever happened. */
const pids: number[] = [];
afterAll(async () => {
  for (const pid of pids) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  await waitGone(pids, 5_000);
  await rest.close();
});

/**
 * An engine as an agent starts one (its own group, cwd `cwd`) that starts a child working in `childCwd`, then exits:
 * its group lives on without its leader. Resolves with both pids once the engine has exited.
 */
async function leaderlessGroup(cwd: string, childCwd: string): Promise<{ engine: number; child: number }> {
  mkdirSync(cwd, { recursive: true });
  mkdirSync(childCwd, { recursive: true });
  const kid = `const k = require("node:child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"],
    { cwd: ${JSON.stringify(childCwd)}, stdio: "ignore" }); k.unref(); console.log(k.pid);`;
  const engine = spawn(process.execPath, ["-e", kid], { cwd, detached: true, stdio: ["ignore", "pipe", "ignore"] });
  pids.push(engine.pid as number);
  let out = "";
  engine.stdout?.on("data", (d) => {
    out += d;
  });
  await new Promise((r) => engine.once("exit", r));
  const child = Number(out.trim());
  pids.push(child);
  return { engine: engine.pid as number, child };
}

/** Its process group id (`/proc/<pid>/stat` field 5). */
const pgidOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ")[2]);

describe.runIf(process.platform === "linux")("an engine's group left without its engine", () => {
  it("is stopped after welcome when it works in the job's workspace, and `stopped` is said once it is gone", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    try {
      const { conn, records, stop } = fakeSupervisor(agent);
      const ws = jobDir(agent.cfg.workDir, "job_srv");
      const { engine, child } = await leaderlessGroup(ws, path.join(ws, "app"));
      expect([isRunning(engine), isRunning(child), pgidOf(child)]).toEqual([false, true, engine]);
      records.write({ jobId: "job_srv", leaseEpoch: 2, attempt: 1, startedAt: Date.now(), enginePid: engine });
      conn.welcome([], { features: [FEATURES.stopped] });
      await until("the group gone", () => !isRunning(child), 10_000);
      await until("stopped", () => conn.frames("stopped").length > 0);
      expect(conn.frames("stopped")).toEqual([{ type: "stopped", jobId: "job_srv", leaseEpoch: 2 }]);
      await stop();
    } finally {
      agent.remove();
    }
  });

  it("is left alone when none of it works in the job's workspace (not provably the engine's)", async () => {
    const agent = tempAgent(rest.url);
    try {
      const { records } = fakeSupervisor(agent);
      const ws = jobDir(agent.cfg.workDir, "job_far");
      const { engine, child } = await leaderlessGroup(ws, path.join(agent.dir, "elsewhere"));
      records.write({ jobId: "job_far", leaseEpoch: 1, attempt: 1, startedAt: Date.now(), enginePid: engine });
      const said: unknown[] = [];
      const killed = reapOrphans(
        records,
        agent.cfg.workDir,
        () => false,
        agent.out,
        (l) => said.push(l),
      );
      expect({ killed, said, running: isRunning(child) }).toEqual({ killed: [], said: [], running: true });
    } finally {
      agent.remove();
    }
  });
});
