// Proves a finished run's report is not given up when the socket drops before its answer and the reconnect's
// `welcome` no longer lists the lease (the report landed, ending it, or the lease lapsed): the report goes again on
// the new socket and its answer — here `fenced`, the job done — is what the operator reads, not "lease lost —
// engine stopped, work discarded" (nor a fenced renewal of that lease); and the seat is free for the job the
// coordinator pushes meanwhile.
import { describe, expect, it } from "vitest";
import { FrameError } from "../../src/agent/connection.ts";
import { assignment, fakeSupervisor, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("a report in flight when the socket drops", () => {
  it("is sent again after a welcome that no longer lists its lease, and its answer is reported", async () => {
    const agent = tempAgent(rest.url, { drainTimeoutMs: 500 });
    try {
      const { conn, stop } = fakeSupervisor(agent);
      let drop: (() => void) | undefined;
      let reports = 0;
      conn.answer = (f) => {
        if (f.type === "renew") throw new FrameError("fenced", "lease epoch 1 of job job_r is stale"); // not ours now
        if (f.type !== "complete" && f.type !== "fail") return {};
        reports += 1;
        // The first send is lost with its socket; the second is answered as a coordinator whose job is done answers.
        if (reports === 1) {
          return new Promise((_, reject) => {
            drop = () => reject(new FrameError("disconnected", "1006"));
          });
        }
        throw new FrameError("fenced", "job job_r holds no lease at epoch 1 any more (it is done)");
      };
      conn.welcome();
      conn.push({ type: "assign", assignments: [assignment("job_r", "gf-sample-seconds: 0\n")] });
      await until("the report sent", () => drop);
      conn.welcome(); // reconnected: the lease is not listed any more
      conn.push({ type: "settings", leaseTtlSeconds: 60 }); // renew now: no renewal of that lease goes any more
      // The coordinator freed the seat with the lease: the job it pushes at once is taken, not bounced.
      conn.push({ type: "assign", assignments: [assignment("job_next", "gf-sample-seconds: 30\n")] });
      drop?.();
      const failed = await until("the answer reported", () =>
        agent.events.find((e) => e.event === "job.report_failed"),
      );
      expect(failed.message).toMatch(/fenced: job job_r holds no lease at epoch 1 any more \(it is done\)/);
      expect(reports).toBe(2);
      expect(agent.events.filter((e) => e.event === "job.lease_lost" && e.jobId === "job_r")).toEqual([]);
      await until("the next job accepted", () =>
        conn.frames("accept").find((f) => "jobId" in f && f.jobId === "job_next"),
      );
      expect(conn.frames("release")).toEqual([]);
      await stop();
    } finally {
      agent.remove();
    }
  });
});
