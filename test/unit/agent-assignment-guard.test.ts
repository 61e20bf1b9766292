// A coordinator frame cannot make the agent touch files outside its own dirs (agent/assignment-guard): an
// assignment whose job id is a relative path (`../../victim`), pushed in `assign` or listed in `welcome`, is refused —
// not accepted, no seat, nothing created or deleted — while well-formed work on the same connection still runs.
// Found by a security review: the job id became `<work-dir>/jobs/<id>`, which a run deletes first (a stale
// workspace), so `../../victim` removed a directory beside the work dir and ran the engine in it; `<id>.job.md` and
// `logs/<id>-a<attempt>.log` escaped the same way. Real Supervisor and seats, fake connection (test/unit/agent-fakes).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { assignmentProblem } from "../../src/agent/assignment-guard.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import { assignment, FakeConnection, tempAgent, until, useArtifactServer } from "./agent-fakes.ts";

const rest = useArtifactServer();

describe("assignments whose ids would be paths outside the agent's dirs", () => {
  it("are refused, and the files they point at are untouched, while a well-formed job runs", async () => {
    const agent = tempAgent(rest.url, { seats: 3, drainTimeoutMs: 10_000 });
    // Beside the work dir (`<dir>/work`): `<dir>/work/jobs/../../victim` is `<dir>/victim`.
    const victim = path.join(agent.dir, "victim");
    mkdirSync(victim);
    writeFileSync(path.join(victim, "precious.txt"), "keep me");
    writeFileSync(`${victim}.job.md`, "keep me too");
    let conn: FakeConnection | undefined;
    const sup = new Supervisor({
      cfg: agent.cfg,
      out: agent.out,
      engines: agent.engines,
      hello: { capabilities: ["engine:sample"], seats: 3, engines: ["sample"], agentVersion: "test" },
      connect: (o) => {
        conn = new FakeConnection(o);
        return conn.asConnection();
      },
    });
    const exited = sup.run();
    const fake = conn as unknown as FakeConnection;
    try {
      fake.welcome([assignment("../../victim", "gf-sample-seconds: 0\n", 1, { stage: "building" } as never)]);
      fake.push({
        type: "assign",
        assignments: [
          assignment("../../victim", "gf-sample-seconds: 0\n", 2),
          assignment("job_escape_attempt", "gf-sample-seconds: 0\n", 1, { attempt: "1/../../../../x" } as never),
          assignment("job_fine", "gf-sample-seconds: 0\n", 1),
        ],
      });
      await until("job_fine reported", () =>
        fake.frames("complete").some((f) => "jobId" in f && f.jobId === "job_fine"),
      );
      void sup.drain("SIGTERM");
      await exited; // every seat ended: a seat for a refused assignment would have prepared its workspace by now
      const answered = fake.sent.filter((f) => "jobId" in f).map((f) => ("jobId" in f ? f.jobId : ""));
      expect(new Set(answered)).toEqual(new Set(["job_fine"]));
      expect(readFileSync(path.join(victim, "precious.txt"), "utf8")).toBe("keep me");
      expect(readFileSync(`${victim}.job.md`, "utf8")).toBe("keep me too");
      expect(existsSync(path.join(victim, ".git"))).toBe(false);
      const refused = agent.events.filter((e) => e.event === "assign.refused");
      expect(refused).toHaveLength(3);
      expect(String(refused[0]?.message)).toContain('"../../victim"');
    } finally {
      agent.remove();
    }
  });
});

describe("assignmentProblem", () => {
  const ok = assignment("job_1", "body");
  it("accepts what a coordinator sends, and names the first field it refuses", () => {
    expect(assignmentProblem(ok)).toBeUndefined();
    expect(assignmentProblem({ ...ok, job: { ...ok.job, id: "a/b" } })).toMatch(/^job\.id: /);
    expect(assignmentProblem({ ...ok, job: { ...ok.job, id: ".." } })).toMatch(/^job\.id: /);
    expect(assignmentProblem({ ...ok, job: { ...ok.job, id: "x".repeat(65) } })).toMatch(/^job\.id: /);
    expect(assignmentProblem({ ...ok, leaseEpoch: -1 })).toMatch(/^leaseEpoch: /);
    expect(assignmentProblem({ ...ok, job: { ...ok.job, budget: undefined } })).toMatch(/^job\.budget: /);
    expect(assignmentProblem(null)).toBeDefined();
    expect(assignmentProblem("assign")).toBeDefined();
  });
});
