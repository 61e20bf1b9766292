// Stale writers never land: an operator reject takes the lease away from a running job (epoch + 1,
// run closed, cancel pushed), a report at a lost epoch is fenced rather than acknowledged as a
// duplicate, and every run — a refunded attempt included — is kept with its cost.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applySchema } from "../../src/durable-objects/coordinator/runtime/schema.ts";
import { runId } from "../../src/history/write.ts";
import { ADMIN, api, claim, enroll, getJob, P, submit, until } from "./client.ts";
import { type AssignFrame, connectFactory, type TestSocket } from "./sockets.ts";
import { expireLeaseNow, lapseExclusions } from "./state.ts";

async function coordinatorRuns(product: string, jobId: string) {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) =>
    s.storage.sql
      .exec<{ lease_epoch: number; outcome: string | null; ended_at: number | null }>(
        "SELECT lease_epoch, outcome, ended_at FROM runs WHERE job_id = ? ORDER BY lease_epoch",
        jobId,
      )
      .toArray(),
  );
}

/** The answer (ack or error) to the frame sent with `id`, waiting up to 3 s. */
async function answerTo(socket: TestSocket, id: string) {
  const found = await until(
    async () => socket.frames.find((f) => f.id === id),
    (f) => f !== undefined,
    { ms: 3000, what: `an answer to frame ${id}` },
  );
  return found!;
}

describe("operator reject of a running job", () => {
  it("takes the lease of a building job: epoch + 1, run closed, cancel pushed, the old holder fenced", async () => {
    const product = "stale-reject-building";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    socket.send({ type: "progress", id: "p", jobId: job.id, leaseEpoch: a.leaseEpoch, stage: "building" });
    await socket.next("ack");

    const rejected = await api("POST", `${P(product)}/jobs/${job.id}/actions/reject`, {
      token: ADMIN,
      json: { note: "wrong approach" },
    });
    expect(rejected.status).toBe(200);
    expect(await socket.next("cancel", 3000)).toMatchObject({ jobId: job.id, leaseEpoch: a.leaseEpoch });
    const after = await getJob(product, job.id);
    expect(after).toMatchObject({ stage: "failed", leaseEpoch: a.leaseEpoch + 1 });
    expect(after.holderFactoryId).toBeUndefined();
    expect(await coordinatorRuns(product, job.id)).toEqual([
      expect.objectContaining({ lease_epoch: a.leaseEpoch, outcome: "handed_back", ended_at: expect.any(Number) }),
    ]);
    socket.send({ type: "complete", id: "c", jobId: job.id, leaseEpoch: a.leaseEpoch, result: { outcome: "success" } });
    expect((await socket.next<{ code: string }>("error")).code).toBe("fenced");
    expect(await getJob(product, job.id)).toEqual(after);
    socket.close();
  });

  it("takes the lease of an assigned job over HTTP too: the holder's next patch is fenced", async () => {
    const product = "stale-reject-assigned";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    await api("POST", `${P(product)}/jobs/${job.id}/actions/reject`, { token: ADMIN });
    const late = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, progress: { pct: 50 } },
    });
    expect(late.body).toMatchObject({ code: "fenced" });
    expect(await getJob(product, job.id)).toMatchObject({ stage: "failed", leaseEpoch: c.body.lease.leaseEpoch + 1 });
  });
});

describe("reports at a lost epoch", () => {
  it("fences a fail report sent after the lease expired, instead of acknowledging it as a duplicate", async () => {
    const product = "stale-fail-expired";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x", maxAttempts: 3 });
    const c = await claim(product, f.token);
    await expireLeaseNow(product, job.id);
    await claim(product, (await enroll(product, "g")).token); // expires the lapsed lease, re-leases the job
    const before = await getJob(product, job.id);
    const late = await api("PATCH", `${P(product)}/jobs/${job.id}`, {
      token: f.token,
      json: { leaseEpoch: c.body.lease.leaseEpoch, stage: "failed", result: { outcome: "timeout" } },
    });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: "fenced" });
    expect(await getJob(product, job.id)).toEqual(before);
  });

  it("fences a late fail frame for the run an operator's requeue closed", async () => {
    const product = "stale-fail-requeued";
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const job = await submit(product, { title: "x" });
    const a = (await socket.next<AssignFrame>("assign")).assignments[0]!;
    await api("POST", `${P(product)}/factories/${f.factoryId}/status`, { token: ADMIN, json: { status: "draining" } });
    await api("POST", `${P(product)}/jobs/${job.id}/actions/requeue`, { token: ADMIN });
    await socket.next("cancel");
    socket.send({
      type: "fail",
      id: "late",
      jobId: job.id,
      leaseEpoch: a.leaseEpoch,
      result: { outcome: "failure", message: "stopped" }, // a factory never says cancelled: that is refused (api-work)
    });
    expect(await answerTo(socket, "late")).toMatchObject({ type: "error", code: "fenced" });
    socket.close();
  });
});

describe("every run is kept", () => {
  it("a refunded attempt keeps both runs, in the coordinator and in D1, each with its own cost", async () => {
    const product = "stale-runs-refund";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const path = `${P(product)}/jobs/${job.id}`;
    const first = await claim(product, f.token);
    await api("POST", `${path}/lease/release`, { token: f.token, json: { leaseEpoch: first.body.lease.leaseEpoch } });
    await lapseExclusions(product, job.id); // a release keeps the job from its releaser for a backoff
    const second = await claim(product, f.token);
    expect(second.body.job.attempt).toBe(first.body.job.attempt); // the release refunded the attempt
    const epoch = second.body.lease.leaseEpoch;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: epoch, stage: "building" } });
    const done = await api("PATCH", path, {
      token: f.token,
      json: { leaseEpoch: epoch, stage: "testing", insights: { costUsd: 0.25 } },
    });
    expect(done.status).toBe(200);

    const runs = await api<{ runs: Array<{ leaseEpoch: number; result?: { outcome: string } }> }>(
      "GET",
      `${path}/runs`,
      { token: ADMIN },
    );
    expect(runs.body.runs.map((r) => [r.leaseEpoch, r.result?.outcome])).toEqual([
      [first.body.lease.leaseEpoch, "handed_back"], // released by its factory: not a cancel
      [second.body.lease.leaseEpoch, "success"],
    ]);
    const d1 = await until(
      () =>
        api<{ items: Array<{ leaseEpoch: number; outcome: string | null; costUsd: number | null }> }>(
          "GET",
          `${P(product)}/history?kind=runs&jobId=${job.id}`,
          { token: ADMIN },
        ),
      (r) => r.body.items.length === 2 && r.body.items.every((i) => i.outcome !== null),
    );
    expect(d1.body.items.map((r) => [r.leaseEpoch, r.outcome, r.costUsd])).toEqual([
      [first.body.lease.leaseEpoch, "handed_back", null],
      [second.body.lease.leaseEpoch, "success", 0.25],
    ]);
  });
});

describe("the coordinator's runs table upgrade", () => {
  it("rebuilds a version-1 runs table (keyed by attempt) keyed by lease epoch, keeping every row", async () => {
    const stub = env.COORDINATOR.getByName("stale-runs-upgrade");
    await submit("stale-runs-upgrade", { title: "x" });
    const rows = await runInDurableObject(stub, (_i, s) => {
      const sql = s.storage.sql;
      sql.exec(`DROP TABLE runs;
        CREATE TABLE runs (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, factory_id TEXT NOT NULL,
          lease_epoch INTEGER NOT NULL, engine TEXT, started_at INTEGER NOT NULL, ended_at INTEGER, outcome TEXT,
          doc TEXT NOT NULL, PRIMARY KEY (job_id, attempt));
        INSERT INTO runs VALUES ('j', 1, 'f', 1, NULL, 10, 11, 'cancelled', '{}'), ('j', 2, 'f', 3, NULL, 12, NULL, NULL, '{}');`);
      applySchema(sql);
      applySchema(sql); // idempotent
      // The refunded attempt number comes round again at a new epoch: a new row, not an overwrite.
      // Columns named: the upgrade may add columns after these (runs.track_made).
      sql.exec(
        "INSERT INTO runs (job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at, outcome, doc) VALUES ('j', 1, 'f', 5, NULL, 13, NULL, NULL, '{}')",
      );
      return sql
        .exec<{ attempt: number; lease_epoch: number }>("SELECT attempt, lease_epoch FROM runs ORDER BY lease_epoch")
        .toArray();
    });
    expect(rows.map((r) => [r.attempt, r.lease_epoch])).toEqual([
      [1, 1],
      [2, 3],
      [1, 5],
    ]);
  });
});

describe("the D1 runs migration", () => {
  it("rewrites a run recorded under the old attempt key to its lease-epoch key, so later records update it", async () => {
    const migration = env.TEST_MIGRATIONS.find((m) => m.name.startsWith("0002_"));
    const rekey = migration?.queries.find((q) => q.includes("UPDATE"));
    expect(rekey).toBeDefined();
    await env.DB.prepare(
      "INSERT INTO runs (id, product_id, job_id, attempt, factory_id, lease_epoch, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
      .bind("stale-d1:job_old:1", "stale-d1", "job_old", 1, "f", 4, 10)
      .run();
    await env.DB.prepare(rekey!).run();
    const row = await env.DB.prepare("SELECT id FROM runs WHERE product_id = ? AND job_id = 'job_old'")
      .bind("stale-d1")
      .first<{ id: string }>();
    expect(row?.id).toBe(runId("stale-d1", "job_old", 4));
  });
});
