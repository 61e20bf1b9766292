// A run a drain gives back (agent/seat-endings `release`, then `giveBack`) still tells the coordinator what its
// engine spent after the last frame the coordinator answered — its last usage line, printed as SIGTERM stopped it —
// without a frame of its own: the `release` carries no insights, but the job log's last batch, flushed as the run
// ends, carries the run's cumulative insights after it. Refused `fenced` (the lease is given back), that batch's
// spend is charged all the same (policies/late-spend; test/integration/drain-spend proves it, once). Even when every
// frame that carried it before the release went unanswered (a socket that blipped), it goes after the release.
// Real SeatRunner and engine process, fake coordinator connection (test/unit/agent-fakes).
import { describe, expect, it } from "vitest";
import { FrameError, type OutFrame } from "../../src/agent/connection.ts";
import { quoteWord } from "../../src/agent/engines.ts";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { assignment, FakeConnection, seatContext, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

/** Reports $1 at once; on SIGTERM (the drain's stop) reports $2.50 and exits 143. */
const engine = `
  const usage = (usd) => console.log(JSON.stringify({ gf_insights: { tokensIn: usd * 1000, tokensOut: usd * 100, costUsd: usd } }));
  usage(1);
  process.on("SIGTERM", () => { usage(2.5); process.exit(143); });
  setInterval(() => {}, 60000);`;

const costOf = (f: OutFrame) => ("insights" in f ? f.insights?.costUsd : undefined);

describe("a drained run's spend", () => {
  it("goes after the release when no frame before it that carried it was answered", async () => {
    const conn = new FakeConnection();
    const agent = tempAgent(rest.url);
    try {
      agent.engines.set("sample", `${quoteWord(process.execPath)} -e ${quoteWord(engine)}`);
      const runner = new SeatRunner(seatContext(conn, agent, rest.url), assignment("job_drained", "work\n", 4), false);
      await until("the $1 report", () => conn.sent.some((f) => f.type === "progress" && costOf(f) === 1));
      let released = false;
      const answered: OutFrame[] = [];
      conn.answer = (f) => {
        // Before the release every frame with the last spend is lost; after it, the lease is gone: fenced.
        if (released) throw new FrameError("fenced", "lease epoch 4 is gone");
        if (costOf(f) === 2.5) throw new FrameError("timeout", "no answer to progress within 10000 ms");
        if (f.type === "release") released = true;
        answered.push(f);
        return {};
      };
      await runner.release("draining");
      const release = conn.sent.findIndex((f) => f.type === "release");
      expect(answered.some((f) => costOf(f) === 2.5)).toBe(false);
      expect(conn.sent[release]).toEqual({ type: "release", jobId: "job_drained", leaseEpoch: 4, reason: "draining" });
      const after = conn.sent.slice(release + 1);
      expect(after.filter((f) => costOf(f) === 2.5)).toEqual([
        expect.objectContaining({
          type: "progress",
          jobId: "job_drained",
          leaseEpoch: 4,
          insights: { tokensIn: 2500, tokensOut: 250, costUsd: 2.5 },
        }),
      ]);
    } finally {
      agent.remove();
    }
  });
});
