// A drain that could not give its job back says so: when the coordinator does not acknowledge the `release` (the
// socket is down, or the answer never came), the agent prints `job.release_failed` — not given back, why, and that the
// coordinator requeues the job once its lease expires — instead of `job.released` ("given back"), which told the
// operator the job was back in the queue while the coordinator still leased it to this host. An acknowledged release
// still prints `job.released`. Real SeatRunner and engine process, fake coordinator connection (test/unit/agent-fakes).
import { describe, expect, it } from "vitest";
import { FrameError } from "../../src/agent/connection.ts";
import { quoteWord } from "../../src/agent/engines.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** Says it started, then runs until the drain stops it. */
const engine = `console.log("started"); process.on("SIGTERM", () => process.exit(143)); setInterval(() => {}, 60000);`;

/** Runs a job until its engine started, drains it with `release` answered by `answer`; the agent's events after. */
async function drain(answer: (type: string) => unknown) {
  const conn = new FakeConnection();
  const agent = tempAgent(rest.url);
  try {
    agent.engines.set("sample", `${quoteWord(process.execPath)} -e ${quoteWord(engine)}`);
    const runner = new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_drained", "work\n", 4), false);
    await until("the engine's start", () => conn.sent.some((f) => f.type === "progress" && "logs" in f));
    conn.answer = (f) => answer(f.type);
    await runner.release("draining");
    return agent.events.filter((e) => typeof e.event === "string" && e.event.startsWith("job.rel"));
  } finally {
    agent.remove();
  }
}

describe("a drain's release", () => {
  it("not acknowledged: says the job was not given back, why, and what becomes of it", async () => {
    const events = await drain((type) => {
      if (type === "release") throw new FrameError("disconnected", "not connected to the coordinator");
      return {};
    });
    expect(events).toEqual([
      expect.objectContaining({
        event: "job.release_failed",
        jobId: "job_drained",
        message: expect.stringMatching(
          /^job_drained not given back \(draining\): release not acknowledged: disconnected: not connected to the coordinator; .*lease expires/,
        ),
      }),
    ]);
  });

  it("acknowledged: says it was given back", async () => {
    const events = await drain(() => ({}));
    expect(events).toEqual([
      expect.objectContaining({
        event: "job.released",
        jobId: "job_drained",
        message: "job_drained given back: draining",
      }),
    ]);
  });
});
