// Migration 0013 on a D1 that already holds runs (SQLite, the migrations applied in wrangler's order): a run row
// written under 0000–0012 is kept whole and reads `estimated_usd` NULL (no estimate known to D1), and a row written
// afterwards keeps the USD its run was charged at settings prices; history/rows' run row binds a record's
// `insights.estimatedUsd` (the coordinator's `run_estimate`, core/run-estimate-record) and NULL when it has none.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { rowOf } from "../../src/history/rows.ts";

const DIR = path.join(import.meta.dirname, "../../migrations");
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".sql"))
  .sort();
const MIGRATION = "0013_runs_estimated_usd.sql";

describe("migration 0013 (runs.estimated_usd) on an existing D1", () => {
  it("keeps the runs held before it, with estimated_usd NULL; later rows carry their estimate", () => {
    expect(FILES).toContain(MIGRATION);
    const db = new DatabaseSync(":memory:");
    const apply = (f: string) => db.exec(readFileSync(path.join(DIR, f), "utf8"));
    for (const f of FILES.filter((f) => f < MIGRATION)) apply(f);
    db.prepare(
      `INSERT INTO runs (id, product_id, job_id, attempt, factory_id, lease_epoch, started_at, ended_at, outcome,
       unpriced_tokens) VALUES ('p:j1:e1', 'p', 'j1', 1, 'f', 1, 1, 2, 'success', 500000)`,
    ).run();
    for (const f of FILES.filter((f) => f >= MIGRATION)) apply(f);
    expect(db.prepare("SELECT id, unpriced_tokens, estimated_usd FROM runs").all()).toEqual([
      { id: "p:j1:e1", unpriced_tokens: 500000, estimated_usd: null },
    ]);
    db.prepare(
      `INSERT INTO runs (id, product_id, job_id, attempt, factory_id, lease_epoch, started_at, ended_at, outcome,
       estimated_usd) VALUES ('p:j2:e1', 'p', 'j2', 1, 'f', 1, 1, 2, 'success', 1.8)`,
    ).run();
    expect(db.prepare("SELECT id, estimated_usd FROM runs ORDER BY id").all()).toEqual([
      { id: "p:j1:e1", estimated_usd: null },
      { id: "p:j2:e1", estimated_usd: 1.8 },
    ]);
    db.close();
  });

  it("binds a run record's insights.estimatedUsd, and NULL when it has none", () => {
    const run = (insights?: Record<string, unknown>) =>
      rowOf({ productId: "p", seq: 1, kind: "run", body: { jobId: "j", leaseEpoch: 1, startedAt: 1, insights } });
    expect(
      run({ tokensIn: 400_000, tokensOut: 100_000, unpricedTokens: 500_000, estimatedUsd: 1.8 }).estimatedUsd,
    ).toBe(1.8);
    expect(run({ tokensIn: 10, costUsd: 0.5 }).estimatedUsd).toBeNull(); // priced by its engine
    expect(run().estimatedUsd).toBeNull(); // an open run: no insights yet
    expect(run({ estimatedUsd: "1.8" }).estimatedUsd).toBeNull(); // not a number: not an estimate
  });
});
