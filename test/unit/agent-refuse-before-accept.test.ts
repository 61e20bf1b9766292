// A job this host will not run is refused before it is accepted: a repository named by a path on a host without
// --allow-local-repos, or an engine this host does not have. Its only frame is the `reject` (the coordinator takes a
// reject of a lease it has not been told was accepted: it needs only the lease and its epoch), never `accept {stage:
// building}` first — with three hosts, only one allowing local repos, each refusing host had moved the job
// assigned → building before "rejected by factory", so its feed showed builds that never were. So for a coordinator
// that knows no accept-building (accept, then progress building) and for a lease resumed from a `welcome` while still
// assigned. Nothing is prepared on disk for it. Real SeatRunner on a fake connection that records every frame.
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SeatRunner } from "../../src/agent/seat-runner.ts";
import { FEATURES } from "../../src/shared/protocol.ts";
import { assignment, FakeConnection, seatContext, tempAgent, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

const featureSets: Array<[string, ReadonlySet<string>]> = [
  ["a coordinator with accept-building", new Set(Object.values(FEATURES))],
  ["an older coordinator (accept, then progress building)", new Set()],
];

/** Run `id` (job fields `over`) on a seat: the frame types it sent, and whether anything was prepared on disk. */
async function refusedRun(id: string, over: Record<string, unknown>, features: ReadonlySet<string>, resumed = false) {
  const agent = tempAgent(rest.url);
  try {
    const conn = new FakeConnection();
    const ctx = seatContext(conn, agent, rest.url, { features: () => features });
    const a = assignment(id, "", 1, over);
    await new SeatRunner(ctx, a, resumed).finished;
    const reject = conn.frames("reject")[0];
    return {
      types: conn.sent.map((f) => f.type),
      reason: reject?.type === "reject" ? reject.reason : "",
      prepared: existsSync(path.join(agent.cfg.workDir, "mirrors")) || existsSync(path.join(agent.cfg.workDir, "jobs")),
      events: agent.events.map((e) => e.event),
      dir: agent.dir,
    };
  } finally {
    agent.remove();
  }
}

describe("a job this host will not run: rejected, never accepted first", () => {
  for (const [label, features] of featureSets) {
    it(`a local-path repo without --allow-local-repos, with ${label}`, async () => {
      const r = await refusedRun("job_local_repo", { repo: "/srv/git/app.git" }, features);
      expect(r.types).toEqual(["reject"]);
      expect(r.reason).toMatch(/is a path on this host.*--allow-local-repos/);
      expect(r.prepared).toBe(false);
      expect(r.events).toContain("job.released");
    });

    it(`an engine this host does not have, with ${label}`, async () => {
      const r = await refusedRun("job_no_engine", { engine: "no-such-engine" }, features);
      expect(r.types).toEqual(["reject"]);
      expect(r.reason).toContain("no-such-engine");
      expect(r.prepared).toBe(false);
    });
  }

  it("a lease resumed from a welcome while still assigned: rejected without an accept", async () => {
    const features = new Set(Object.values(FEATURES));
    const r = await refusedRun("job_resumed", { repo: "/srv/git/app.git", stage: "assigned" }, features, true);
    expect(r.types).toEqual(["reject"]);
  });
});
