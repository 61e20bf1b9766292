// A run the agent abandons (a `cancel`, or its lease lost) still tells the coordinator what its engine spent after the
// last report it answered: one `progress` under the run's own epoch carrying the run's cumulative insights, sent once
// the engine has exited and before `stopped` — refused `fenced`, the coordinator charges it all the same
// (policies/late-spend). Without it an engine that spent on after its last log batch (or while it stopped) was never
// charged to the product or the job budget. Nothing extra is sent when every cent was already in an answered report.
// Real SeatRunner and engine process, fake coordinator connection (test/unit/agent-fakes).
import { describe, expect, it } from "vitest";
import { FrameError, type OutFrame } from "../../src/agent/connection.ts";
import { quoteWord } from "../../src/agent/engines.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** Reports $1 at once; on SIGTERM, `onTerm` (a last report, or none) and exit 143. */
const engine = (onTerm: string) => `
  const usage = (usd) => console.log(JSON.stringify({ gf_insights: { tokensIn: usd * 1000, tokensOut: usd * 100, costUsd: usd } }));
  usage(1);
  process.on("SIGTERM", () => { ${onTerm}; process.exit(143); });
  setInterval(() => {}, 60000);`;

const costOf = (f: OutFrame) => ("insights" in f ? f.insights?.costUsd : undefined);

/** A connection that can go down: requests refused `disconnected` meanwhile, `whenReady` waits for `up()`. */
class FlakyConnection extends FakeConnection {
  private wake: (() => void) | undefined;
  override whenReady(): Promise<void> {
    return this.ready
      ? Promise.resolve()
      : new Promise((r) => {
          this.wake = r;
        });
  }
  override async request(frame: OutFrame): Promise<unknown> {
    if (!this.ready) throw new FrameError("disconnected", "not connected to the coordinator");
    return super.request(frame);
  }
  up(): void {
    this.ready = true;
    this.wake?.();
  }
}

/** Runs `script` on a seat until a progress with its $1 is answered, abandons it, returns the frames sent after. */
async function abandonAfterFirstReport(
  script: string,
  abandon: (r: SeatRunner, c: FlakyConnection) => void,
  conn = new FlakyConnection(),
) {
  const agent = tempAgent(rest.url);
  try {
    agent.engines.set("sample", `${quoteWord(process.execPath)} -e ${quoteWord(script)}`);
    const ctx = seatContext(conn, agent, rest.url, { features: () => new Set([FEATURES.stopped]) });
    const runner = new SeatRunner(ctx, assignment("job_spent", "work\n", 4), false);
    await until("the $1 report", () => conn.sent.some((f) => f.type === "progress" && costOf(f) === 1));
    const before = conn.sent.length;
    abandon(runner, conn);
    await runner.finished;
    conn.up(); // a socket that was down comes back: a frame waiting for it goes now
    return conn.sent.slice(before);
  } finally {
    agent.remove();
  }
}

describe("an abandoned run's spend", () => {
  const lastReport = "usage(2.5)";

  it("after a cancel: the spend since the last answered report goes in a progress, before `stopped`", async () => {
    const after = await abandonAfterFirstReport(engine(lastReport), (r) => r.abandon("cancel by operator:alice", true));
    const spend = { tokensIn: 2500, tokensOut: 250, costUsd: 2.5 };
    expect(after).toEqual([
      { type: "progress", jobId: "job_spent", leaseEpoch: 4, insights: spend },
      { type: "stopped", jobId: "job_spent", leaseEpoch: 4 },
    ]);
  });

  it("after a lost lease (a `welcome` not listing it): the same, under the lost lease's own epoch", async () => {
    const after = await abandonAfterFirstReport(engine(lastReport), (r, conn) => {
      // The coordinator took the lease: from now on it refuses the run's frames as fenced (and charges their spend).
      conn.answer = (f) => {
        if (f.type !== "stopped") throw new FrameError("fenced", "lease epoch 4 is gone");
        return {};
      };
      r.unlisted();
    });
    const spend = { tokensIn: 2500, tokensOut: 250, costUsd: 2.5 };
    expect(after).toEqual([
      { type: "progress", jobId: "job_spent", leaseEpoch: 4, insights: spend },
      { type: "stopped", jobId: "job_spent", leaseEpoch: 4 },
    ]);
  });

  it("after a lapse with the socket down: the spend goes once it is back (`stopped`, best effort, does not)", async () => {
    const conn = new FlakyConnection();
    const after = await abandonAfterFirstReport(
      engine(lastReport),
      (r, c) => {
        c.ready = false;
        r.abandon("no renewal acknowledged for 75s: the lease (TTL 60s) has expired", false);
      },
      conn,
    );
    await until("the spend after the reconnect", () => conn.frames("progress").some((f) => costOf(f) === 2.5));
    const spend = { tokensIn: 2500, tokensOut: 250, costUsd: 2.5 };
    expect(conn.sent.filter((f) => costOf(f) === 2.5)).toEqual([
      { type: "progress", jobId: "job_spent", leaseEpoch: 4, insights: spend },
    ]);
    expect(after.filter((f) => f.type === "stopped")).toEqual([]);
  });

  it("sends no extra frame when the last answered report already held all of it", async () => {
    const after = await abandonAfterFirstReport(engine(""), (r) => r.abandon("cancel by operator:alice", true));
    expect(after).toEqual([{ type: "stopped", jobId: "job_spent", leaseEpoch: 4 }]);
  });
});
