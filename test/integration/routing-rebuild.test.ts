// `POST …/routing/rebuild` over a history longer than one chunk (workerd, real D1 and DO storage): the Worker reads
// the D1 runs in chunks ordered by start, so a long run of the first chunk is folded before a short run of the second
// that ended before it; the rebuilt record still equals the live fold — every run in order of its end — and a second
// rebuild gives the same record again. A run that ends live while a rebuild is under way (after its first chunk
// emptied the table, before the chunk that reads its D1 row) is counted once, not twice; a rebuild started while
// another is under way stops the older one (409 conflict for its next chunk), whose chunks would count their runs
// into the newer one's table a second time. The D1 runs of a factory deregistered or revoked since (either dropped
// its records: it never runs again) are skipped, not replayed back into records.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addOutcome, emptyRecord, type TrackRecord } from "../../src/core/track-record.ts";
import type { HistoryRun } from "../../src/durable-objects/coordinator/policies/track-rebuild.ts";
import { REBUILD_CHUNK } from "../../src/worker/routes/routing.ts";
import { ADMIN, api, claim, enroll, P, submit, until } from "./client.ts";

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

type HistoryRow = { epoch: number; startedAt: number; endedAt: number; ok: boolean; costUsd: number };
type Records = { records: Array<{ factoryId: string; engine: string; jobClass: string; record: TrackRecord }> };

/** The record the live fold keeps: every run added as it ends. */
function liveFold(rows: readonly HistoryRow[]): TrackRecord {
  const byEnd = [...rows].sort((a, b) => a.endedAt - b.endedAt);
  return byEnd.reduce(
    (r, x) => addOutcome(r, { ok: x.ok, durationMs: x.endedAt - x.startedAt, costUsd: x.costUsd }, x.endedAt),
    emptyRecord(byEnd[0]?.endedAt ?? T0),
  );
}

function expectClose(got: TrackRecord, want: TrackRecord): void {
  expect(got.n).toBe(want.n);
  expect(got.updatedAt).toBe(want.updatedAt);
  for (const k of ["successes", "failures"] as const) expect(got[k]).toBeCloseTo(want[k], 9);
  for (const k of ["durationMs", "costUsd"] as const) {
    expect(got[k].w).toBeCloseTo(want[k].w, 9);
    expect(got[k].mean / Math.max(1, want[k].mean)).toBeCloseTo(want[k].mean / Math.max(1, want[k].mean), 9);
  }
}

describe("routing rebuild across chunks", () => {
  it("a long run read in the first chunk and a shorter, earlier-ending run in the next rebuild the live fold", async () => {
    const product = "routing-rebuild-chunks";
    const f = await enroll(product, "host", ["engine:codex", "lang:rust"]);
    const job = await submit(product, { title: "rust", engine: "codex", requires: ["lang:rust"] });
    // Run 0 starts first and runs 8 days; runs 1..REBUILD_CHUNK are short. The last of them (a failure) starts
    // after the first chunk's REBUILD_CHUNK runs, so it is read in the second chunk, though it ended days earlier.
    const rows: HistoryRow[] = [{ epoch: 0, startedAt: T0, endedAt: T0 + 8 * DAY, ok: true, costUsd: 1 }];
    for (let i = 1; i <= REBUILD_CHUNK; i++)
      rows.push({
        epoch: i,
        startedAt: T0 + i * 1000,
        endedAt: T0 + i * 1000 + 500,
        ok: i !== REBUILD_CHUNK,
        costUsd: i === REBUILD_CHUNK ? 3 : 1,
      });
    await env.DB.batch(
      rows.map((r) =>
        env.DB.prepare(
          `INSERT INTO runs (id, product_id, job_id, attempt, factory_id, lease_epoch, engine, started_at, ended_at,
             outcome, cost_usd) VALUES (?, ?, ?, 1, ?, ?, 'codex', ?, ?, ?, ?)`,
        ).bind(
          `${product}:${job.id}:e${r.epoch}`,
          product,
          job.id,
          f.factoryId,
          r.epoch,
          r.startedAt,
          r.endedAt,
          r.ok ? "success" : "failure",
          r.costUsd,
        ),
      ),
    );
    const want = liveFold(rows);
    for (const round of [1, 2]) {
      const rebuilt = await api("POST", `${P(product)}/routing/rebuild`, { token: ADMIN });
      expect([round, rebuilt.status, rebuilt.body]).toEqual([
        round,
        200,
        { counted: rows.length, skipped: 0, chunks: 2 },
      ]);
      const { records } = (await api<Records>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body;
      expect(records.map((r) => [r.factoryId, r.engine, r.jobClass])).toEqual([[f.factoryId, "codex", "lang:rust"]]);
      expectClose(records[0]?.record as TrackRecord, want);
    }
  });
});

type RunRow = {
  job_id: string;
  lease_epoch: number;
  factory_id: string;
  engine: string;
  started_at: number;
  ended_at: number;
  outcome: string;
  cost_usd: number;
};

/** The product's ended D1 runs as a rebuild's chunk hands them over, once the outbox has shipped `n` of them. */
async function shippedRuns(product: string, n: number): Promise<HistoryRun[]> {
  const read = () =>
    env.DB.prepare("SELECT * FROM runs WHERE product_id = ? AND ended_at IS NOT NULL ORDER BY started_at")
      .bind(product)
      .all<RunRow>();
  const rows = (await until(read, (r) => r.results.length === n)).results;
  return rows.map((r) => ({
    jobId: r.job_id,
    leaseEpoch: r.lease_epoch,
    factoryId: r.factory_id,
    engine: r.engine,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    outcome: r.outcome as HistoryRun["outcome"],
    costUsd: r.cost_usd,
  }));
}

describe("routing rebuild while runs end", () => {
  it("counts a run that ended after the rebuild began once, and a newer rebuild stops an older one", async () => {
    const product = "routing-rebuild-race";
    const f = await enroll(product, "host", ["engine:codex", "lang:rust"]);
    const stub = env.COORDINATOR.getByName(product);
    const records = async () =>
      (await api<Records>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body.records;

    const first = await stub.rebuildTrackRecords(product, [], true, "op", undefined, "admin");
    if (!first.ok) throw new Error(JSON.stringify(first));
    // A run ends live after the first chunk emptied the table: the live fold counts it at once.
    const job = await submit(product, { title: "rust", engine: "codex", requires: ["lang:rust"] });
    const c = await claim(product, f.token);
    const path = `${P(product)}/jobs/${job.id}`;
    const epoch = c.body.lease.leaseEpoch;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: epoch, stage: "building" } });
    const end = {
      leaseEpoch: epoch,
      stage: "testing",
      result: { outcome: "success", rc: 0 },
      insights: { costUsd: 1 },
    };
    expect((await api("PATCH", path, { token: f.token, json: end })).status).toBe(200);
    expect((await records()).map((r) => r.record.n)).toEqual([1]);
    // The rebuild's next chunk reads its D1 row: already counted, it is not counted again.
    const [ended] = await shippedRuns(product, 1);
    const next = await stub.rebuildTrackRecords(
      product,
      [ended as HistoryRun],
      false,
      "op",
      first.value.rebuild,
      "admin",
    );
    expect(next.ok).toBe(true);
    expect((await records()).map((r) => r.record.n)).toEqual([1]);

    // Two rebuilds at once: the newer one's first chunk stops the older one, whose next chunk is refused.
    const older = await stub.rebuildTrackRecords(product, [], true, "op", undefined, "admin");
    const newer = await stub.rebuildTrackRecords(product, [], true, "op", undefined, "admin");
    if (!older.ok || !newer.ok) throw new Error(JSON.stringify([older, newer]));
    const stale = await stub.rebuildTrackRecords(
      product,
      [ended as HistoryRun],
      false,
      "op",
      older.value.rebuild,
      "admin",
    );
    expect(stale).toMatchObject({ ok: false, error: { code: "conflict" } });
    expect(await records()).toEqual([]);
    const current = await stub.rebuildTrackRecords(
      product,
      [ended as HistoryRun],
      false,
      "op",
      newer.value.rebuild,
      "admin",
    );
    expect(current).toMatchObject({ ok: true, value: { counted: 1, skipped: 0 } });
    expect((await records()).map((r) => r.record.n)).toEqual([1]);
  });
});

describe("routing rebuild after a deregistration or a revocation", () => {
  it.each([
    ["deregistered", "DELETE", ""],
    ["revoked", "POST", "/token/revoke"],
  ])("does not bring back the records of a factory %s since its runs", async (how, method, suffix) => {
    const product = `routing-rebuild-forgotten-${how}`;
    const caps = ["engine:codex", "lang:rust"];
    const gone = await enroll(product, "gone", caps);
    const kept = await enroll(product, "kept", caps);
    for (const f of [gone, kept]) {
      const job = await submit(product, { title: "rust", engine: "codex", requires: ["lang:rust"] });
      const c = await claim(product, f.token);
      expect(c.body.job.id).toBe(job.id);
      const path = `${P(product)}/jobs/${job.id}`;
      const epoch = c.body.lease.leaseEpoch;
      await api("PATCH", path, { token: f.token, json: { leaseEpoch: epoch, stage: "building" } });
      const end = { leaseEpoch: epoch, stage: "testing", result: { outcome: "success", rc: 0 } };
      expect((await api("PATCH", path, { token: f.token, json: end })).status).toBe(200);
    }
    await shippedRuns(product, 2);
    expect((await api(method, `${P(product)}/factories/${gone.factoryId}${suffix}`, { token: ADMIN })).status).toBe(
      200,
    );
    const factoriesOf = async () =>
      (await api<Records>("GET", `${P(product)}/routing/track-records`, { token: ADMIN })).body.records.map(
        (r) => r.factoryId,
      );
    expect(await factoriesOf()).toEqual([kept.factoryId]);
    const rebuilt = await api("POST", `${P(product)}/routing/rebuild`, { token: ADMIN });
    expect(rebuilt.body).toEqual({ counted: 1, skipped: 1, chunks: 1 });
    expect(await factoriesOf()).toEqual([kept.factoryId]);
  });
});
