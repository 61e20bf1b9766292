// Ctrl-C (SIGINT) or SIGTERM during `run`'s start-up — its state dir locked, its drain handlers not yet installed —
// says what it left (`✘ ERROR interrupted: SIGINT: run stopped while starting, before it connected …`) and exits 128 +
// the signal's number (130, 143) with its lock released, instead of dying without a word and leaving agent.pid
// behind (agent/interrupt). The real agent process, held in its sandbox probe by a stand-in `bwrap` on its PATH that
// waits until the test has sent the signal.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-run-interrupt-"));
const running: Array<ReturnType<typeof startAgent>> = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop("SIGKILL");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A `bwrap` that says it was asked (`probing`), then fails once `release` exists: the agent waits in its probe. */
function standInBwrap(at: string): { bin: string; probing: string; release: string } {
  const bin = path.join(at, "bin");
  const probing = path.join(at, "probing");
  const release = path.join(at, "release");
  mkdirSync(bin);
  // Also ends once the test's dir is gone: an agent killed red, the test over, it must not wait on for good.
  const script = `#!/bin/sh\n: > '${probing}'\nwhile [ ! -e '${release}' ] && [ -d '${bin}' ]; do sleep 0.02; done\nexit 1\n`;
  writeFileSync(path.join(bin, "bwrap"), script, { mode: 0o755 });
  return { bin, probing, release };
}

describe("run interrupted while it starts", () => {
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    it(`${signal}: says what it left, exits ${code}, its state dir's lock released`, async () => {
      const at = mkdtempSync(path.join(dir, `${signal}-`));
      const stateDir = path.join(at, "state");
      const bwrap = standInBwrap(at);
      const agent = startAgent(offlineRunArgs(stateDir), { PATH: `${bwrap.bin}:${process.env.PATH ?? ""}` });
      running.push(agent);
      await until("the agent in its sandbox probe", () => existsSync(bwrap.probing));
      expect(existsSync(path.join(stateDir, "agent.pid"))).toBe(true); // locked, not yet draining on a signal
      process.kill(agent.pid, signal);
      writeFileSync(bwrap.release, "");
      expect(await agent.exited, agent.out()).toBe(code);
      expect(agent.out()).toContain(
        `✘ ERROR interrupted: ${signal}: run stopped while starting, before it connected: it took no job, and its state dir is free / run the same command again to start this factory`,
      );
      expect(existsSync(path.join(stateDir, "agent.pid"))).toBe(false);
    });
  }
});
