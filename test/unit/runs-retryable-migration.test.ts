// Migration 0012 on a D1 that already holds runs (SQLite, the migrations applied in wrangler's order): a run row
// written under 0000–0011 is kept whole and reads `retryable` NULL (its result's word unknown to D1), and a row written
// afterwards keeps what its result said — 1 for a run the product's budget stopped and requeued, 0 for an overrun of
// the job's own budget — which history/rows' run row binds (a record whose result says nothing stays NULL).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { rowOf } from "../../src/history/rows.ts";

const DIR = path.join(import.meta.dirname, "../../migrations");
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".sql"))
  .sort();
const MIGRATION = "0012_runs_retryable.sql";

describe("migration 0012 (runs.retryable) on an existing D1", () => {
  it("keeps the runs held before it, with retryable NULL; later rows carry their result's word", () => {
    expect(FILES).toContain(MIGRATION);
    const db = new DatabaseSync(":memory:");
    const apply = (f: string) => db.exec(readFileSync(path.join(DIR, f), "utf8"));
    for (const f of FILES.filter((f) => f < MIGRATION)) apply(f);
    db.prepare(
      `INSERT INTO runs (id, product_id, job_id, attempt, factory_id, lease_epoch, started_at, ended_at, outcome)
       VALUES ('p:j1:e1', 'p', 'j1', 1, 'f', 1, 1, 2, 'budget_exceeded')`,
    ).run();
    for (const f of FILES.filter((f) => f >= MIGRATION)) apply(f);
    expect(db.prepare("SELECT id, outcome, retryable FROM runs").all()).toEqual([
      { id: "p:j1:e1", outcome: "budget_exceeded", retryable: null },
    ]);
    const insert = db.prepare(
      `INSERT INTO runs (id, product_id, job_id, attempt, factory_id, lease_epoch, started_at, ended_at, outcome,
       retryable) VALUES (?, 'p', ?, 1, 'f', 1, 1, 2, 'budget_exceeded', ?)`,
    );
    insert.run("p:j2:e1", "j2", 1);
    insert.run("p:j3:e1", "j3", 0);
    expect(db.prepare("SELECT id, retryable FROM runs ORDER BY id").all()).toEqual([
      { id: "p:j1:e1", retryable: null },
      { id: "p:j2:e1", retryable: 1 },
      { id: "p:j3:e1", retryable: 0 },
    ]);
    db.close();
  });

  it("binds a run record's result.retryable as 1 / 0, and NULL when the result says nothing", () => {
    const run = (result?: Record<string, unknown>) =>
      rowOf({ productId: "p", seq: 1, kind: "run", body: { jobId: "j", leaseEpoch: 1, startedAt: 1, result } });
    expect(run({ outcome: "budget_exceeded", retryable: true }).retryable).toBe(1);
    expect(run({ outcome: "budget_exceeded", retryable: false }).retryable).toBe(0);
    expect(run({ outcome: "success" }).retryable).toBeNull();
    expect(run().retryable).toBeNull(); // an open run: no result yet
    expect(run({ outcome: "failure", retryable: "yes" }).retryable).toBeNull(); // not a boolean: not a word
  });
});
