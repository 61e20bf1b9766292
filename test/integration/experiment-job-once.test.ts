// A guarded experiment counts one outcome per job (policies/experiments `noteRunForExperiment`), in workerd: a job
// that fails retryably twice and then succeeds is one outcome in its arm — its first run's failure — not three. The
// guardrail's statistics take outcomes as independent; a job's retries are not (a job that fails for a reason of its
// own fails again), and counting every run concluded identical arms at twice the stated false-positive rate. A table
// made before the `counted` column gets it on the next start, its rows not counted yet.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";

type ArmView = { n: number; successes: number };
type View = { id: string; status: string; arms: { A: ArmView; B: ArmView } };

const MANIFEST = { engine: "codex", requires: ["lang:rust"], maxAttempts: 3 };

describe("experiment outcomes per job", () => {
  it("counts a job's first counted run in its arm, not its retries", async () => {
    const product = "experiment-job-once";
    const settings = { retry: { baseSeconds: 0, maxSeconds: 0, jitter: 0 }, breaker: { failureThreshold: 1000 } };
    expect((await api("PATCH", `${P(product)}/settings`, { token: ADMIN, json: settings })).status).toBe(200);
    const f = await enroll(product, "only", ["engine:codex", "lang:rust"]);
    const spec = {
      jobClass: "lang:rust",
      arms: { A: {}, B: { weights: { load: 2 } } },
      guardrail: { metric: "success_rate", margin: 0.1, confidence: 0.9 },
    };
    const started = await api<View>("POST", `${P(product)}/routing/experiments`, { token: ADMIN, json: spec });
    expect(started.status).toBe(201);
    const job = await submit(product, { title: "fails twice, then passes", ...MANIFEST });
    const path = `${P(product)}/jobs/${job.id}`;
    const ends = [
      { stage: "failed", result: { outcome: "failure", rc: 1, retryable: true } },
      { stage: "failed", result: { outcome: "failure", rc: 1, retryable: true } },
      { stage: "testing", result: { outcome: "success", rc: 0 } },
    ];
    for (const end of ends) {
      const c = await claim(product, f.token);
      expect(c.body.job.id).toBe(job.id);
      const epoch = c.body.lease.leaseEpoch;
      await api("PATCH", path, { token: f.token, json: { leaseEpoch: epoch, stage: "building" } });
      const r = await api("PATCH", path, { token: f.token, json: { leaseEpoch: epoch, ...end } });
      expect([end.result.outcome, r.status, r.body]).toEqual([end.result.outcome, 200, r.body]);
    }
    const view = (await api<View>("GET", `${P(product)}/routing/experiments/${started.body.id}`, { token: ADMIN }))
      .body;
    expect(view.status).toBe("running");
    // One outcome, the first counted run's: a failure.
    expect(view.arms.A.n + view.arms.B.n).toBe(1);
    expect(view.arms.A.successes + view.arms.B.successes).toBe(0);
  });

  it("adds the counted column to a table made before it, its rows not counted yet", async () => {
    const rows = await runInDurableObject(env.COORDINATOR.getByName("experiment-job-once-upgrade"), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE experiment_jobs");
      sql.exec(
        "CREATE TABLE experiment_jobs (job_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, arm TEXT NOT NULL)",
      );
      sql.exec("INSERT INTO experiment_jobs VALUES ('job_1', 'ex_1', 'A')");
      applySchema(sql);
      applySchema(sql); // idempotent
      return sql.exec("SELECT job_id, arm, counted FROM experiment_jobs").toArray();
    });
    expect(rows).toEqual([{ job_id: "job_1", arm: "A", counted: 0 }]);
  });
});
