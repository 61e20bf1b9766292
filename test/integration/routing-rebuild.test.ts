// `POST …/routing/rebuild` over a history longer than one chunk (workerd, real D1 and DO storage): the Worker reads
// the D1 runs in chunks ordered by start, so a long run of the first chunk is folded before a short run of the second
// that ended before it; the rebuilt record still equals the live fold — every run in order of its end — and a second
// rebuild gives the same record again.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addOutcome, emptyRecord, type TrackRecord } from "../../src/core/track-record.ts";
import { REBUILD_CHUNK } from "../../src/worker/routes/routing.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";

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
