// The agent's terminal or log pipe going away does not kill it: a SIGHUP (the SSH session or terminal it was started
// in closed) drains, as SIGTERM does, and a stdout/stderr whose reader is gone (EPIPE: `run | shipper` and the
// shipper died) is no longer written to, the agent running on. Either killed it on the spot (SIGHUP's default
// action; an unhandled EPIPE, exit 1): its engines, each in its own process group, ran on orphaned — spending — and
// its leases lapsed, so the jobs ran again elsewhere beside them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { until } from "./agent-fakes.ts";
import { offlineRunArgs, startAgent } from "./agent-process.ts";

const root = mkdtempSync(path.join(tmpdir(), "gf-agent-hangup-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const runArgs = (stateDir: string) => offlineRunArgs(path.join(root, stateDir));

it("drains on SIGHUP and exits 0", async () => {
  const agent = startAgent(runArgs("hup"));
  await until("the agent connecting", () => agent.out().includes("connecting to"));
  expect(await agent.stop("SIGHUP")).toBe(0);
  expect(agent.out()).toContain("SIGHUP: draining");
  expect(agent.out()).toContain("drained — exiting");
});

it("runs on when its output pipe is closed, and still drains on SIGTERM", async () => {
  const agent = startAgent(runArgs("pipe"));
  await until("the agent connecting", () => agent.out().includes("connecting to"));
  agent.closeOutput();
  // It prints a reconnect line every few hundred ms: each write after the close meets EPIPE.
  await new Promise((r) => setTimeout(r, 2_000));
  expect(agent.code()).toBeUndefined();
  expect(await agent.stop()).toBe(0);
});
