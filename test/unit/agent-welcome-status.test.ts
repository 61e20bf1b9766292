// An agent welcomed while its factory is draining or quarantined says so (agent/lease-notices `sayWelcomeStatus`),
// as it says a live `drain`: `factory.quarantined` / `factory.draining` with the welcome's reason and the command
// that lifts it. It connected after the `drain` (restarted, or cut off then) and sat idle without a word. An active
// factory's welcome, an older coordinator's (no status) and one naming a status this agent does not know say
// nothing of it, and such a welcome is still read, never refused.
import { describe, expect, it } from "vitest";
import { readServerFrame } from "../../src/agent/server-frames.ts";
import { fakeSupervisor, tempAgent, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** The `factory.*` events an agent says for a welcome carrying `over`. */
async function saidFor(over: Record<string, unknown>) {
  const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
  const { conn, stop } = fakeSupervisor(agent);
  try {
    conn.welcome([], over);
    expect(agent.events.some((e) => e.event === "connected")).toBe(true);
    return agent.events.filter((e) => String(e.event).startsWith("factory."));
  } finally {
    await stop();
    agent.remove();
  }
}

describe("a welcome of a factory that is not active", () => {
  it("a quarantine: said with its reason and `gigafactory factory release ID`", async () => {
    const reason = "quarantined: more than 3 failed runs within 10 min";
    const said = await saidFor({ status: "quarantined", statusReason: reason });
    expect(said).toMatchObject([
      { event: "factory.quarantined", status: "quarantined", reason, factoryId: "fac_test" },
    ]);
    expect(String(said[0]?.message)).toContain(reason);
    expect(String(said[0]?.message)).toContain("`gigafactory factory release fac_test`");
  });

  it("a drain: said with its reason and `gigafactory factory activate ID`", async () => {
    const said = await saidFor({ status: "draining", statusReason: "draining by alice" });
    expect(said).toMatchObject([{ event: "factory.draining", status: "draining", reason: "draining by alice" }]);
    expect(String(said[0]?.message)).toContain("`gigafactory factory activate fac_test`");
  });

  it("active, an older coordinator's, or a status it does not know: nothing said", async () => {
    expect(await saidFor({ status: "active" })).toEqual([]);
    expect(await saidFor({})).toEqual([]);
    expect(await saidFor({ status: "resting", statusReason: "a newer coordinator's" })).toEqual([]);
  });

  it("a welcome with an unknown status or an odd reason is still read", () => {
    const welcome = { type: "welcome", v: 1, factoryId: "f", productId: "p", queueVersion: 1, heartbeatIntervalMs: 1 };
    for (const extra of [{ status: "resting" }, { status: "quarantined", statusReason: 5 }]) {
      expect(readServerFrame(JSON.stringify({ ...welcome, leases: [], ...extra })).ok).toBe(true);
    }
  });
});
