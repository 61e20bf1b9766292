// The history consumer's last-delivery isolation (worker/queues/history-isolate), as a pure function of which records
// "D1" refuses: every record is written once or kept as refused, never both and never lost; one refused record among
// n costs about 2·log2(n) writes; the writes never spend more than the budget; records are written in order; and when
// nothing could be written, the answer says so (the consumer then keeps the message whole).
import { describe, expect, it } from "vitest";
import { isolateRefused } from "../../src/worker/queues/history-isolate.ts";

/** A fake D1: refuses any write that holds a poisoned index; records what it wrote and how many writes it took. */
function fakeD1(poison: ReadonlySet<number>) {
  const written: number[] = [];
  let writes = 0;
  const write = async (ks: number[]) => {
    writes++;
    if (ks.some((k) => poison.has(k))) throw new Error(`refused ${ks.find((k) => poison.has(k))}`);
    written.push(...ks);
  };
  return { write, written, writes: () => writes };
}

describe("isolateRefused", () => {
  it("pins one refused record among 1,000 in about 2·log2(n) writes, the rest written once, in order", async () => {
    const d1 = fakeD1(new Set([617]));
    const budget = { left: 1000 };
    const out = await isolateRefused(1000, new Error("first"), d1.write, () => 1, budget);
    expect(out.refused.map((r) => r.ks)).toEqual([[617]]);
    expect(String(out.refused[0]?.error)).toMatch(/refused 617/);
    expect(out.wrote).toBe(true);
    expect(d1.written).toEqual(Array.from({ length: 1000 }, (_, k) => k).filter((k) => k !== 617));
    expect(d1.writes()).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)));
  });

  it("never spends more than its budget; what it leaves is kept whole, so each record is written or kept, once", async () => {
    for (const [n, every, left] of [
      [600, 10, 64],
      [1000, 3, 20],
      [37, 1, 5],
      [250, 97, 0],
    ] as const) {
      const poison = new Set(Array.from({ length: n }, (_, k) => k).filter((k) => k % every === 0));
      const d1 = fakeD1(poison);
      const budget = { left };
      const out = await isolateRefused(n, new Error("first"), d1.write, () => 1, budget);
      expect(d1.writes()).toBeLessThanOrEqual(left);
      expect(budget.left).toBeGreaterThanOrEqual(0);
      const kept = out.refused.flatMap((r) => r.ks);
      expect([...d1.written, ...kept].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, k) => k));
      expect(d1.written.filter((k) => poison.has(k))).toEqual([]);
      expect(out.wrote).toBe(d1.written.length > 0);
    }
  });

  it("charges each write what it costs: a budget too small for a half writes nothing and keeps the halves", async () => {
    const d1 = fakeD1(new Set([0]));
    const out = await isolateRefused(400, new Error("first"), d1.write, (m) => Math.ceil(m / 100), { left: 1 });
    expect(d1.writes()).toBe(0);
    expect(out).toMatchObject({ wrote: false });
    expect(out.refused.map((r) => r.ks.length)).toEqual([200, 200]);
  });
});
