// history/rows `decisiveRunRows`: writing only the decisive run row of each run leaves D1's `runs` table exactly as
// writing every row in order would, from any prior state. The model below is the upsert history/write issues:
// insert, or replace an open row (`ON CONFLICT(id) DO UPDATE … WHERE ended_at IS NULL …`), and an ended one only
// with an ended row that raises what it was charged — a higher cost, or the same cost and more tokens (a late
// charge after the run closed: policies/late-spend).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decisiveRunRows, type Row } from "../../src/history/rows.ts";

/** The upsert's WHERE for an ended row, as SQL reads it: NULL cost and tokens as 0, cost first, then tokens. */
function raised(held: Row, r: Row): boolean {
  if (r.endedAt === null) return false;
  const cost = (x: Row) => Number(x.costUsd ?? 0);
  const tokens = (x: Row) => Number(x.tokensIn ?? 0) + Number(x.tokensOut ?? 0);
  return cost(r) > cost(held) || (cost(r) === cost(held) && tokens(r) > tokens(held));
}

function apply(table: Map<string, Row>, rows: readonly Row[]): Map<string, Row> {
  const out = new Map(table);
  for (const r of rows) {
    const held = out.get(String(r.id));
    if (!held || held.endedAt === null || raised(held, r)) out.set(String(r.id), r);
  }
  return out;
}

const row = fc.record({
  id: fc.constantFrom("r1", "r2", "r3"),
  endedAt: fc.option(fc.integer({ min: 1, max: 9 }), { nil: null }),
  outcome: fc.constantFrom("success", "failure", null),
  costUsd: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
  tokensIn: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  tokensOut: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
  n: fc.integer(),
}) as fc.Arbitrary<Row>;

describe("decisive run rows", () => {
  it("leave the table as every row in order does, from any prior state", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 12 }), fc.array(row, { maxLength: 3 }), (rows, prior) => {
        const before = apply(new Map(), prior);
        expect(apply(before, decisiveRunRows(rows))).toEqual(apply(before, rows));
      }),
      { numRuns: 500 },
    );
  });

  it("keep one row per run, in the input's order", () => {
    const start = { id: "a", endedAt: null, n: 1 };
    const end = { id: "a", endedAt: 5, n: 2 };
    const late = { id: "a", endedAt: 6, n: 3 };
    const other = { id: "b", endedAt: null, n: 4 };
    expect(decisiveRunRows([start, other, end, late])).toEqual([other, end]);
    expect(decisiveRunRows([start, other])).toEqual([start, other]);
    // A late charge after the close: the ended row with the higher cost is the one D1 must end with.
    const charged = { id: "a", endedAt: 5, n: 5, costUsd: 9 };
    expect(decisiveRunRows([start, { ...end, costUsd: 1 }, charged, late])).toEqual([charged]);
    // A late charge of tokens alone (a run closed without a final report, its tokens raised to what was charged).
    const tokens = { id: "a", endedAt: 5, n: 6, costUsd: 9, tokensIn: 1_000, tokensOut: 500 };
    const more = { ...tokens, n: 7, tokensIn: 2_000 };
    expect(decisiveRunRows([start, tokens, more, { ...tokens, n: 8 }])).toEqual([more]);
  });
});
