// The agent says each lease ending the coordinator pushes as what it is (agent/lease-notices): a `cancel` with code
// `lease_expired` is `job.lease_lost` naming the expiry and what to look at on this host (it was `job.cancelled`,
// as if an operator had cancelled it), `preempted` is `job.preempted`, a budget stop `job.budget_stopped`; a cancel
// without a code (an older coordinator) or with one this agent does not know is still an operator's `job.cancelled`,
// and every one of them stops the engine. A `drain` names the factory's new status, why, and the command that lifts
// it (`gigafactory factory release|activate ID`), where it was one `·` line saying "draining" even for a quarantine.
// A `settings` frame says the lease TTL this agent now keeps and why (the product's, or its own `--lease-ttl` cap),
// and nothing when that TTL did not change unasked (it said "lease TTL is now 30s" after the product's went to 45s).
import { describe, expect, it } from "vitest";
import { isRunning } from "../../scripts/process-tree.ts";
import { readCancel } from "../../src/agent/lease-notices.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import { assignment, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("a cancel pushed for a running job", () => {
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    [
      "a lease expiry",
      { reason: "lease expired", code: "lease_expired" },
      "job.lease_lost",
      /lease lost: the lease expired/,
    ],
    ["a preemption", { reason: "preempted", code: "preempted" }, "job.preempted", /preempted: a critical job/],
    [
      "an operator's cancel",
      { reason: "cancel by alice", code: "operator" },
      "job.cancelled",
      /cancelled: cancel by alice/,
    ],
    ["an older coordinator's cancel", { reason: "lease expired" }, "job.cancelled", /cancelled: lease expired/],
    ["a newer coordinator's code", { reason: "moved", code: "some_future_code" }, "job.cancelled", /cancelled: moved/],
  ];
  for (const [what, frame, event, text] of cases) {
    it(`${what}: said as ${event}, its engine stopped`, async () => {
      const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
      const { conn, records, stop } = fakeSupervisor(agent);
      try {
        conn.welcome([], { features: [FEATURES.stopped] });
        conn.push({ type: "assign", assignments: [assignment("job_ln", "gf-sample-seconds: 30\n", 3)] });
        const pid = await until("the engine", () => records.read("job_ln")?.enginePid);
        conn.push({ type: "cancel", jobId: "job_ln", leaseEpoch: 3, ...frame } as never);
        const said = agent.events.filter((e) =>
          /^job\.(cancelled|lease_lost|preempted|budget_stopped)$/.test(String(e.event)),
        );
        expect(said).toMatchObject([{ event, jobId: "job_ln", leaseEpoch: 3 }]);
        expect(String(said[0]?.message)).toMatch(text);
        await until("stopped", () => conn.frames("stopped").length > 0);
        expect(isRunning(pid)).toBe(false);
        await stop();
      } finally {
        agent.remove();
      }
    });
  }

  it("reads every code the coordinator sends as its own kind", () => {
    expect(readCancel({ reason: "factory token revoked", code: "revoked" })).toMatchObject({ event: "job.lease_lost" });
    expect(readCancel({ reason: "factory deregistered", code: "deregistered" })).toMatchObject({
      event: "job.lease_lost",
    });
    expect(readCancel({ reason: "budget exhausted: $5 of $5 per day", code: "budget" })).toMatchObject({
      event: "job.budget_stopped",
      reason: "the product's budget is exhausted: $5 of $5 per day",
    });
    expect(readCancel({ reason: "cost $2 exceeds the job budget $1", code: "job_budget" })).toMatchObject({
      event: "job.budget_stopped",
    });
    for (const code of ["operator", "review_rejected", "parent_cancelled"])
      expect(readCancel({ reason: "x", code })).toMatchObject({ event: "job.cancelled", reason: "x" });
    expect(readCancel({ reason: "" })).toMatchObject({ event: "job.cancelled", reason: "cancelled by an operator" });
  });
});

describe("a drain pushed to the factory", () => {
  it("says a quarantine as one, why, and the command that lifts it; its running job goes on", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { features: [FEATURES.stopped] });
      conn.push({ type: "assign", assignments: [assignment("job_dq", "gf-sample-seconds: 30\n", 1)] });
      const pid = await until("the engine", () => records.read("job_dq")?.enginePid);
      const reason = "quarantined: more than 3 failed runs within 10 min";
      conn.push({ type: "drain", reason, status: "quarantined" });
      const line = agent.events.find((e) => e.event === "factory.quarantined");
      expect(line).toMatchObject({ status: "quarantined", reason, factoryId: "fac_test" });
      expect(String(line?.message)).toContain(reason);
      expect(String(line?.message)).toContain("`gigafactory factory release fac_test`");
      expect(isRunning(pid)).toBe(true);
      expect(agent.events.filter((e) => String(e.event).startsWith("job.") && e.event !== "job.start")).toEqual([]);
      await stop();
    } finally {
      agent.remove();
    }
  });

  it("reads an older coordinator's drain by its reason: an operator's quarantine or drain, each with its way out", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { features: [FEATURES.stopped] });
      conn.push({ type: "drain", reason: "quarantined by alice" });
      conn.push({ type: "drain", reason: "draining by bob" });
      const lines = agent.events.filter((e) => String(e.event).startsWith("factory."));
      expect(lines.map((e) => [e.event, e.status])).toEqual([
        ["factory.quarantined", "quarantined"],
        ["factory.draining", "draining"],
      ]);
      expect(String(lines[0]?.message)).toContain("`gigafactory factory release fac_test`");
      expect(String(lines[1]?.message)).toContain("`gigafactory factory activate fac_test`");
      await stop();
    } finally {
      agent.remove();
    }
  });
});

describe("a settings frame (the product's lease TTL changed)", () => {
  it("says the TTL this agent now keeps and why, naming its own --lease-ttl when that caps the product's", async () => {
    // Demo agents run with --lease-ttl 30: `settings set leaseTtlSeconds=45` printed "lease TTL is now 30s" (pass 43).
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100, leaseTtlSeconds: 30 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { leaseTtlSeconds: 30 });
      conn.push({ type: "settings", leaseTtlSeconds: 30 }); // the product's went 60 → 45: still capped at 30 here
      conn.push({ type: "settings", leaseTtlSeconds: 20 }); // the product's went to 20: below the cap
      conn.push({ type: "settings", leaseTtlSeconds: 30 }); // back above the cap
      const lines = agent.events.filter((e) => e.event === "settings").map((e) => String(e.message));
      expect(lines).toEqual([
        "the product's lease TTL changed; this agent keeps 30s (its --lease-ttl 30 caps it)",
        "lease TTL is now 20s (the product's setting)",
        "lease TTL is now 30s (this agent's --lease-ttl 30 caps the product's longer one)",
      ]);
      await stop();
    } finally {
      agent.remove();
    }
  });

  it("says nothing when the TTL that applies did not change and no --lease-ttl explains it", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { leaseTtlSeconds: 60 });
      conn.push({ type: "settings", leaseTtlSeconds: 60 });
      conn.push({ type: "settings", leaseTtlSeconds: 45 });
      const lines = agent.events.filter((e) => e.event === "settings").map((e) => String(e.message));
      expect(lines).toEqual(["lease TTL is now 45s (the product's setting)"]);
      await stop();
    } finally {
      agent.remove();
    }
  });
});
