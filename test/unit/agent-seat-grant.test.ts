// The agent runs the seats the coordinator granted, not the ones it asked for (agent/seat-grant): with `--seats 2`
// on a factory enrolled for 1, `welcome` says 1 — the agent says "1 seat", warns once (not again on a reconnect) that
// `--seats 2` is over the limit with the `gigafactory factory approve` command that raises it (naming the factory as
// its `connected` line does, `test-host (fac_test)`, not by its bare id), and releases a second
// job rather than run two engines; a `grant` frame raising the limit lets the second seat fill. A coordinator that
// says nothing of seats (older) leaves the agent on what it asked for. Its `connected` line lists the capabilities
// `welcome` says it is routed on, and apart from them those awaiting approval (an unapproved `cuda` read as granted),
// with the command that approves them (a host given `--engine hello=…` waited, saying only "awaiting approval").
// Real sample engine, fake connection.
import { describe, expect, it } from "vitest";
import { parseServerFrame } from "../../src/shared/protocol.ts";
import { assignment, type FakeConnection, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

const LONG = "gf-sample-seconds: 30\n";
const accepted = (conn: FakeConnection, jobId: string) =>
  conn.frames("accept").some((f) => f.type === "accept" && f.jobId === jobId);
const released = (conn: FakeConnection, jobId: string) =>
  conn.frames("release").find((f) => f.type === "release" && f.jobId === jobId);

describe("seats over the factory's seat limit", () => {
  it("runs and reports the granted seats, warns once with the command that raises them, and fills more once granted", async () => {
    const agent = tempAgent(rest.url, { seats: 2, seatsFrom: "--seats", drainTimeoutMs: 100 });
    const { conn, records, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { seats: 1, seatLimit: 1 });
      const connected = agent.events.find((e) => e.event === "connected");
      expect(connected).toMatchObject({ seats: 1, message: expect.stringContaining("— 1 seat, caps") });
      const warned = () => agent.events.filter((e) => e.event === "seats.capped");
      expect(warned()).toHaveLength(1);
      expect(warned()[0]).toMatchObject({ asked: 2, seats: 1, seatLimit: 1, factoryId: "fac_test" });
      expect(warned()[0]?.message).toBe(
        "--seats 2 is over factory test-host (fac_test)'s seat limit of 1: running 1 seat at a time — an operator raises it with `gigafactory factory approve fac_test --seats 2`",
      );

      conn.push({ type: "assign", assignments: [assignment("job_a", LONG), assignment("job_b", LONG)] });
      await until("job_b released", () => released(conn, "job_b"));
      expect(released(conn, "job_b")).toMatchObject({ reason: "no free seat" });
      await until("job_a's engine", () => records.read("job_a")?.enginePid);

      conn.welcome([assignment("job_a", LONG)], { seats: 1, seatLimit: 1 }); // a reconnect: no second warning
      expect(warned()).toHaveLength(1);

      conn.push({ type: "grant", seats: 2, seatLimit: 2 });
      expect(agent.events.find((e) => e.event === "seats.granted")).toMatchObject({
        seats: 2,
        message: "factory test-host (fac_test) is granted 2 seats now",
      });
      conn.push({ type: "assign", assignments: [assignment("job_c", LONG)] });
      await until("job_c accepted", () => accepted(conn, "job_c"));
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("from a coordinator that says nothing of seats, runs what it asked for", async () => {
    const agent = tempAgent(rest.url, { seats: 2, drainTimeoutMs: 100 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome();
      expect(agent.events.find((e) => e.event === "connected")).toMatchObject({ seats: 2 });
      expect(agent.events.some((e) => e.event === "seats.capped")).toBe(false);
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("says which capabilities it is routed on and which await approval, not every declared one as granted", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 100 });
    const { conn, stop } = fakeSupervisor(agent);
    try {
      conn.welcome([], { capabilities: ["os:linux"], pendingCapabilities: ["cuda"] });
      const connected = agent.events.find((e) => e.event === "connected");
      expect(connected?.message).toMatch(
        /, caps: os:linux; awaiting approval: cuda \(`gigafactory factory approve fac_\w+`\)$/,
      );
      expect(connected).toMatchObject({ capabilities: ["os:linux"], pendingCapabilities: ["cuda"] });
    } finally {
      await stop();
      agent.remove();
    }
  });

  it("takes a grant frame only whole: seats within 1–64, nothing else in it", () => {
    expect(parseServerFrame(JSON.stringify({ type: "grant", seats: 2, seatLimit: 4 }))).toEqual({
      ok: true,
      frame: { type: "grant", seats: 2, seatLimit: 4 },
    });
    for (const bad of [{ seats: 0, seatLimit: 1 }, { seats: 2 }, { seats: 2, seatLimit: 2, extra: 1 }])
      expect(parseServerFrame(JSON.stringify({ type: "grant", ...bad })).ok, JSON.stringify(bad)).toBe(false);
  });
});
