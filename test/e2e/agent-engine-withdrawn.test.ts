// The coordinator's answer to a host whose engine stopped being able to start (agent/engine-offer): the real agent,
// its engine made unexecutable after it connected, rejects the first job of that engine, and tells the coordinator
// by its HTTP beat that it no longer offers it — without a reconnect, its socket kept. The factory then reads without
// `engine:sample`, and the next job for that engine is not pushed to it again: it waits `no_capable_factory`, where
// the host kept taking and rejecting every such job. Fixed, and SIGUSR2 sent to say so, the engine is offered again at
// once (it waited for a recheck up to an hour away, or a restart) and the waiting job runs there.
// Real local runtime, real agent process, real engine wrapper.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reachableSample } from "../../scripts/engine-user-reach.ts";
import { ROOT } from "../../scripts/local-server.ts";
import type { Job } from "../../src/core/model.ts";
import { AgentFleet, poll } from "./agent-procs.ts";
import { ADMIN, call, type Harness, P, startHarness } from "./harness.ts";

const PRODUCT = "engine-withdrawn";
const tmp = mkdtempSync(path.join(tmpdir(), "gf-e2e-withdrawn-"));

describe("an engine that cannot start any more is withdrawn from the coordinator's routing", () => {
  let h: Harness;
  let fleet: AgentFleet;
  beforeAll(async () => {
    h = await startHarness();
    fleet = new AgentFleet(h.url);
  });
  afterAll(async () => {
    await fleet?.stopAll();
    await h?.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const api = <T = Record<string, unknown>>(method: string, p: string, json?: unknown) =>
    call<T>(h.url, method, `${P(PRODUCT)}${p}`, ADMIN, json);

  it("its first job is rejected, the factory drops engine:sample, and the next such job waits", async () => {
    chmodSync(tmp, 0o755); // an engine user (a root agent's nobody) must reach the wrapper
    const wrapper = path.join(tmp, "sample.sh");
    const { node, script } = reachableSample(ROOT); // a node and sample the engine user can run
    writeFileSync(wrapper, `#!/bin/sh\nexec ${node} ${script} "$@"\n`, { mode: 0o755 });
    const { stateDir, factoryId } = await fleet.enroll(PRODUCT, "h1", [], 1);
    const agent = fleet.run(stateDir, ["--engine", `sample=${wrapper}`]);
    await agent.waitFor("connected");
    chmodSync(wrapper, 0o644); // broken under the running agent: its next start fails with EACCES

    const first = await api<Job>("POST", "/jobs", { manifest: { title: "first", engine: "sample" }, bodyMd: "x\n" });
    expect(first.status).toBe(201);
    await agent.waitFor("engine.withdrawn");
    const caps = await poll("the factory without engine:sample", 30_000, async () => {
      const f = (await api<{ capabilities: string[] }>("GET", `/factories/${factoryId}`)).body;
      return f.capabilities.includes("engine:sample") ? undefined : f.capabilities;
    });
    expect(caps).not.toContain("engine:sample");

    const second = await api<Job>("POST", "/jobs", { manifest: { title: "second", engine: "sample" }, bodyMd: "x\n" });
    type Read = Job & { waitingReason?: { code: string } };
    const waiting = await poll("the second job's waiting reason", 30_000, async () => {
      const j = (await api<Read>("GET", `/jobs/${second.body.id}`)).body;
      return j.waitingReason?.code === "no_capable_factory" ? j : undefined;
    });
    expect(waiting.stage).toBe("queued");
    expect(agent.events().filter((e) => e.event === "job.start" && e.jobId === second.body.id)).toEqual([]);
    expect(agent.events().filter((e) => e.event === "disconnected")).toEqual([]); // the socket was kept

    // Fixed by the operator, who says so (SIGUSR2) rather than wait for the recheck up to an hour away or restart it:
    // offered again, declared, and the job that waited for it runs here.
    chmodSync(wrapper, 0o755);
    agent.proc.kill("SIGUSR2");
    await agent.waitFor("engine.restored", () => true, 30_000);
    await poll("the factory with engine:sample again", 30_000, async () => {
      const f = (await api<{ capabilities: string[] }>("GET", `/factories/${factoryId}`)).body;
      return f.capabilities.includes("engine:sample") || undefined;
    });
    await agent.waitFor("job.start", (e) => e.jobId === second.body.id, 60_000);
    const done = await poll("the second job built", 60_000, async () => {
      const j = (await api<Job>("GET", `/jobs/${second.body.id}`)).body;
      return j.stage === "queued" || j.stage === "building" ? undefined : j;
    });
    expect(done.stage).not.toBe("dead_letter");
  });
});
