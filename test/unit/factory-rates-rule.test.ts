// The metrics' success ratio counts runs by the very rule track records and experiments count them by:
// policies/factory-rates `COUNTED_SQL`, evaluated by SQLite over every outcome and each value `runs.retryable` holds (1, 0,
// NULL), answers exactly core/run-counts `countsAs` (1 success, 0 failure, NULL not counted) — so an overrun of the
// job's own budget is a failure there too and a product budget's stop is not counted — and an outcome the rule does
// not know is not counted. FACTORY_RATES_SQL over a table of such runs gives each factory those counts.
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { countsAs, RUN_OUTCOMES } from "../../src/core/run-counts.ts";
import { COUNTED_SQL, FACTORY_RATES_SQL } from "../../src/durable-objects/coordinator/policies/factory-rates.ts";

const RETRYABLE: Array<[number | null, boolean | undefined]> = [
  [1, true],
  [0, false],
  [null, undefined],
];

function table(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  db.exec("CREATE TABLE runs (factory_id TEXT, ended_at INTEGER, outcome TEXT, retryable INTEGER)");
  return db;
}

describe("the metrics' count of a run", () => {
  it("is countsAs for every outcome and retryable", () => {
    const db = table();
    const counted = db.prepare(`SELECT ${COUNTED_SQL} AS c FROM (SELECT ? AS outcome, ? AS retryable)`);
    for (const outcome of RUN_OUTCOMES) {
      for (const [column, word] of RETRYABLE) {
        const want = countsAs(outcome, word);
        const got = (counted.get(outcome, column) as { c: number | null }).c;
        expect([outcome, column, got]).toEqual([outcome, column, want === undefined ? null : want ? 1 : 0]);
      }
    }
    expect((counted.get("exploded", null) as { c: number | null }).c).toBeNull();
    db.close();
  });

  it("makes FACTORY_RATES_SQL count an overrun as a failure and a product stop not at all", () => {
    const db = table();
    const insert = db.prepare("INSERT INTO runs VALUES (?, 10, ?, ?)");
    insert.run("f1", "success", null);
    insert.run("f1", "budget_exceeded", 0); // the job's own budget
    insert.run("f1", "budget_exceeded", null); // unsaid: the job's own budget too (only the coordinator's stop says so)
    insert.run("f2", "budget_exceeded", 1); // the product's budget stopped and requeued it
    insert.run("f2", "cancelled", null);
    insert.run("f3", "success", null);
    expect(db.prepare(FACTORY_RATES_SQL).all(0)).toEqual([
      { factory_id: "f1", runs: 3, successes: 1 },
      { factory_id: "f3", runs: 1, successes: 1 },
    ]);
    db.close();
  });
});
