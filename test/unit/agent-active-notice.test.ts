// An agent whose factory an operator returns to work says so once, `✔ factory.active`, with who did it (the
// `active` frame's reason: `released by alice`, `activated by alice`) — it printed nothing, and the last thing in its
// log stayed "quarantined … run `gigafactory factory release`" after the operator had. A frame without a reason is
// still said, without one; the frame's envelope is read as every other (agent/server-frames), and an agent that does
// not know the type ignores it without a word (connection: an unknown type is not `frame.ignored`). Released while its
// socket was down (mid-reconnect), it hears no frame: the welcome that says `active` again is said as the way back.
import { describe, expect, it } from "vitest";
import type { Welcome } from "../../src/agent/connection.ts";
import { isUnknownType, readServerFrame } from "../../src/agent/server-frames.ts";
import type { ServerFrame } from "../../src/shared/protocol.ts";
import { fakeSupervisor, tempAgent, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** The `factory.*` events an agent says for `frames`, pushed after its welcome. */
async function saidFor(frames: ServerFrame[]) {
  const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
  const { conn, stop } = fakeSupervisor(agent);
  try {
    conn.welcome([]);
    for (const f of frames) conn.push(f);
    return agent.events.filter((e) => String(e.event).startsWith("factory."));
  } finally {
    await stop();
    agent.remove();
  }
}

describe("an `active` frame", () => {
  it("after a quarantine's drain: said once, as work again, with who released it", async () => {
    const said = await saidFor([
      { type: "drain", reason: "quarantined by alice", status: "quarantined" },
      { type: "active", reason: "released by alice" },
    ]);
    expect(said.map((e) => e.event)).toEqual(["factory.quarantined", "factory.active"]);
    expect(said[1]).toMatchObject({ status: "active", reason: "released by alice", factoryId: "fac_test" });
    expect(String(said[1]?.message)).toBe(
      "the coordinator returned this factory to work (released by alice): it sends new work again",
    );
  });

  it("without a reason: said without one", async () => {
    const said = await saidFor([{ type: "active", reason: "" }]);
    expect(said).toHaveLength(1);
    expect(said[0]).not.toHaveProperty("reason");
    expect(String(said[0]?.message)).toBe("the coordinator returned this factory to work: it sends new work again");
  });

  it("released while reconnecting: the welcome saying active is said once, as work again", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, stop } = fakeSupervisor(agent);
    const said = () => agent.events.filter((e) => String(e.event).startsWith("factory.")).map((e) => e.event);
    try {
      const active: Partial<Welcome> = { status: "active" };
      conn.welcome([], active);
      conn.push({ type: "drain", reason: "quarantined by alice", status: "quarantined" });
      conn.welcome([], active); // the socket dropped; alice released it before the agent reconnected
      expect(said()).toEqual(["factory.quarantined", "factory.active"]);
      expect(agent.events.find((e) => e.event === "factory.active")).toMatchObject({ status: "active" });
      conn.welcome([], active); // reconnected again: nothing new to say
      conn.push({ type: "drain", reason: "draining by bob", status: "draining" });
      conn.push({ type: "active", reason: "activated by bob" });
      conn.welcome([], active); // the frame said it already
      expect(said()).toEqual(["factory.quarantined", "factory.active", "factory.draining", "factory.active"]);
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("is read as a known frame; a malformed one is refused as malformed, not obeyed", () => {
    expect(readServerFrame(JSON.stringify({ type: "active", reason: "activated by bob" })).ok).toBe(true);
    const bad = readServerFrame(JSON.stringify({ type: "active", reason: 7 }));
    expect(bad.ok).toBe(false);
    expect(isUnknownType(bad)).toBe(false);
  });
});
