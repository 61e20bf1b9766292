// One agent per state dir (agent/state-lock), with real agent processes: a second `run` on a running agent's state
// dir is refused at once — `state_in_use`, exit 2, naming the running one's pid — and the first keeps running (it
// used to be replaced and exit 3, "do not restart"); so is an `enroll` into it, which leaves the config file alone. The
// lock goes when its agent exits (SIGTERM, SIGINT), and one left by a SIGKILLed agent, or naming a pid now reused by
// another process (a reboot: a different start time, or not an agent at all), is taken over rather than blocking.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { STATE_LOCK_FILE } from "../../src/agent/state-lock.ts";
import { until } from "./agent-fakes.ts";
import { OFFLINE_TOKEN, offlineRunArgs, runAgent, startAgent } from "./agent-process.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const runArgs = offlineRunArgs;

const lockOf = (stateDir: string) => path.join(stateDir, STATE_LOCK_FILE);
const connecting = (agent: ReturnType<typeof startAgent>) =>
  until("the agent connecting", () => agent.out().includes("connecting to"));

describe("a second agent on a state dir in use", () => {
  it("is refused at once, exit 2, naming the running agent, which keeps running; so is an enroll into it", async () => {
    const stateDir = path.join(root, "busy");
    const first = startAgent(runArgs(stateDir));
    try {
      await connecting(first);
      const second = startAgent(runArgs(stateDir));
      // Refused, or (the fault) connecting to take the factory over: whichever comes first.
      await until("the second agent refused or connecting", () => second.code() ?? second.out().includes("connecting"));
      await second.stop();
      expect(second.out()).not.toContain("connecting to");
      expect(second.code()).toBe(2);
      expect(second.out()).toContain(`✘ ERROR state_in_use: another agent (pid ${first.pid}) is running`);
      expect(second.out()).toContain("use another --state-dir");

      const enroll = await runAgent([
        "enroll",
        "--state-dir",
        stateDir,
        "--url",
        "http://127.0.0.1:2",
        "--token",
        OFFLINE_TOKEN,
      ]);
      expect(enroll.code).toBe(2);
      expect(enroll.stderr).toContain(`state_in_use: another agent (pid ${first.pid})`);
      expect(existsSync(path.join(stateDir, "config.json"))).toBe(false);

      expect(first.out()).not.toContain("ERROR");
      expect(readFileSync(lockOf(stateDir), "utf8").split("\n")[0]).toBe(String(first.pid));
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(existsSync(lockOf(stateDir))).toBe(false);
  });
});

describe("a lock whose owner is gone", () => {
  it("left by a SIGKILLed agent is taken over by the next one, and removed when that one stops (SIGINT)", async () => {
    const stateDir = path.join(root, "killed");
    const killed = startAgent(runArgs(stateDir));
    await connecting(killed);
    await killed.stop("SIGKILL");
    expect(readFileSync(lockOf(stateDir), "utf8").split("\n")[0]).toBe(String(killed.pid));
    const next = startAgent(runArgs(stateDir));
    try {
      await connecting(next);
      expect(readFileSync(lockOf(stateDir), "utf8").split("\n")[0]).toBe(String(next.pid));
    } finally {
      await next.stop("SIGINT");
    }
    expect(existsSync(lockOf(stateDir))).toBe(false);
  });

  it("naming a live process that is not an agent (its pid reused) does not block", async () => {
    const stateDir = path.join(root, "reused");
    const first = startAgent(runArgs(stateDir));
    await connecting(first);
    await first.stop();
    // This test's own process: alive, but no gigafactory-agent.
    writeFileSync(lockOf(stateDir), `${process.pid}\n`);
    const next = startAgent(runArgs(stateDir));
    try {
      await connecting(next);
    } finally {
      await next.stop();
    }
  });

  it.runIf(process.platform === "linux")(
    "naming a live agent's pid with another start time (a reboot reused it) does not block",
    async () => {
      const live = startAgent(runArgs(path.join(root, "live")));
      const stateDir = path.join(root, "rebooted");
      try {
        await connecting(live);
        const first = startAgent(runArgs(stateDir));
        await connecting(first);
        await first.stop();
        // What the agent before the reboot left: a pid that is now another agent's, started at another time.
        writeFileSync(lockOf(stateDir), `${live.pid}\n1\n`);
        const next = startAgent(runArgs(stateDir));
        await connecting(next);
        await next.stop();
      } finally {
        await live.stop();
      }
    },
  );
});
