// Tokens no USD came for, charged at the operator's price table (core/prices, core/price-estimate): the estimate of
// a run's unpriced tokens is the exact price when every token is unpriced and never below any split the report
// allows — a resumed run's earlier tokens (`baseTokens`, in + out folded into tokensIn) counted as either kind, so
// not re-priced as read ($1.50 → $0.625 before) — nor above all at the dearer rate; a run's charge is its reported
// USD plus the estimate of what is still unpriced, as a high-water mark, so across cumulative reports (a resumed run's earlier engine included, core/unpriced `unpricedOf`'s base) the budget
// is charged exactly the run's highest (reported + estimate) — never twice, never taken back — and a reported USD
// replaces the estimate: only what it adds over the estimate is charged. Properties over random report sequences.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromMicros, toMicros } from "../../src/core/budget.ts";
import { chargeRun, type RunCharge } from "../../src/core/price-estimate.ts";
import { applyPricesPatch, estimateUsd, priceOf, type TokenPrice } from "../../src/core/prices.ts";
import { accrueUnpriced, unpricedOf } from "../../src/core/unpriced.ts";

const codex: TokenPrice = { usdPerMillionIn: 1.25, usdPerMillionOut: 10 };

describe("estimateUsd", () => {
  it("prices a Codex run's tokens exactly: in at the read rate, out at the written rate", () => {
    expect(estimateUsd(3_000_000, { tokensIn: 2_000_000, tokensOut: 1_000_000 }, codex)).toBe(12.5);
    expect(estimateUsd(0, { tokensIn: 5, tokensOut: 5 }, codex)).toBe(0);
    // 0.1 × 30 is 3.0000000000000004 in floats: still 3 µ$, not 4.
    expect(estimateUsd(30, { tokensIn: 30 }, { usdPerMillionIn: 0.1, usdPerMillionOut: 0.1 })).toBe(0.000003);
  });

  it("is never below what any split of the unpriced tokens the report allows would cost (property)", () => {
    const rate = fc.double({ min: 0, max: 10_000, noNaN: true });
    fc.assert(
      fc.property(fc.nat(10 ** 9), fc.nat(10 ** 9), fc.nat(2 * 10 ** 9), rate, rate, (tin, tout, u, a, b) => {
        const unpriced = Math.min(u, tin + tout);
        const price = { usdPerMillionIn: a, usdPerMillionOut: b };
        const est = toMicros(estimateUsd(unpriced, { tokensIn: tin, tokensOut: tout }, price));
        // Any split x in + (unpriced − x) out with x ≤ tin and unpriced − x ≤ tout.
        for (const x of [Math.max(0, unpriced - tout), Math.min(tin, unpriced)]) {
          expect(est).toBeGreaterThanOrEqual(Math.floor(x * a + (unpriced - x) * b));
        }
        const exact = tin * a + tout * b; // every token unpriced: the exact price, up to the micro-dollar
        if (unpriced === tin + tout) expect([Math.floor(exact), Math.ceil(exact)]).toContain(est);
      }),
    );
  });

  it("prices a resumed run's earlier tokens (of unknown split) as written: $1.50 stays $1.50, not $0.625", () => {
    // The first engine read 400k and wrote 100k ($1.50); after a restart the agent folds them into tokensIn as one
    // sum (agent/run-usage `runUsage`). Read as 500k read tokens they cost $0.625: the run's next $0.875 went uncharged.
    const resumed = { tokensIn: 500_000, tokensOut: 0, baseTokens: 500_000 };
    expect(estimateUsd(500_000, resumed, codex)).toBeGreaterThanOrEqual(1.5);
    expect(estimateUsd(500_000, resumed, codex)).toBe(5); // the base's split is unknown: all of it may be written
    // The fresh engine's own 100k read + 10k written: exact for its part, the base still at the written rate.
    expect(estimateUsd(610_000, { tokensIn: 600_000, tokensOut: 10_000, baseTokens: 500_000 }, codex)).toBe(5.225);
    // Read dearer than written: the base is in tokensIn, on the dearer side already.
    const readDear = { usdPerMillionIn: 10, usdPerMillionOut: 1.25 };
    expect(estimateUsd(500_000, resumed, readDear)).toBe(5);
    // An older agent sends no baseTokens: today's reading.
    expect(estimateUsd(500_000, { tokensIn: 500_000, tokensOut: 0 }, codex)).toBe(0.625);
  });

  it("with a base, is never below any split the report allows, never above all at the dearer rate (property)", () => {
    const rate = fc.double({ min: 0, max: 10_000, noNaN: true });
    const tokens = fc.nat(10 ** 9);
    fc.assert(
      fc.property(tokens, tokens, tokens, fc.nat(3 * 10 ** 9), rate, rate, (own, tout, base, u, a, b) => {
        const tin = own + base; // the report's tokensIn: the engine's own plus the earlier engines' sum
        const unpriced = Math.min(u, tin + tout);
        const price = { usdPerMillionIn: a, usdPerMillionOut: b };
        const est = toMicros(estimateUsd(unpriced, { tokensIn: tin, tokensOut: tout, baseTokens: base }, price));
        // Any split: read ≤ own + base, written ≤ tout + base (the base's tokens may be either), read + written =
        // unpriced. The price is linear in the split, so its two ends bound every split between them.
        const writtenMost = Math.min(unpriced, tout + base);
        const readMost = Math.min(unpriced, tin);
        for (const written of [writtenMost, unpriced - readMost]) {
          expect(est).toBeGreaterThanOrEqual(Math.floor((unpriced - written) * a + written * b));
        }
        expect(est).toBeLessThanOrEqual(Math.ceil(unpriced * Math.max(a, b)));
      }),
    );
  });
});

describe("chargeRun: the estimate until the engine's USD replaces it", () => {
  const none: RunCharge = { reportedUsd: 0, estimatedUsd: 0 };

  it("charges the estimate, then only what a Claude result's USD adds over it — and keeps it when lower", () => {
    const first = chargeRun(none, { reportedUsd: 0, estimateUsd: 5 });
    expect(first).toEqual({ charge: { reportedUsd: 0, estimatedUsd: 5 }, deltaUsd: 5 });
    const lower = chargeRun(first.charge, { reportedUsd: 3, estimateUsd: 0 });
    expect(lower).toEqual({ charge: { reportedUsd: 3, estimatedUsd: 2 }, deltaUsd: 0 });
    const higher = chargeRun(first.charge, { reportedUsd: 7, estimateUsd: 0 });
    expect(higher).toEqual({ charge: { reportedUsd: 7, estimatedUsd: 0 }, deltaUsd: 2 });
  });

  it("with no price (estimate 0) charges exactly the reported USD's increase, as before", () => {
    const r = chargeRun({ reportedUsd: 1.5, estimatedUsd: 0 }, { reportedUsd: 2.25, estimateUsd: 0 });
    expect(r).toEqual({ charge: { reportedUsd: 2.25, estimatedUsd: 0 }, deltaUsd: 0.75 });
  });

  it("charges a run's highest (reported + estimate) exactly once over any cumulative reports (property)", () => {
    // One run's reports as the agent sends them: cumulative tokens in/out and USD, the USD covering all tokens when it
    // comes (a Claude result) or none (Codex); a resumed run's report carries its earlier engine (`base`).
    const report = fc.record({ dIn: fc.nat(50_000), dOut: fc.nat(50_000), usd: fc.option(fc.nat(5_000_000)) });
    fc.assert(
      fc.property(fc.array(report, { minLength: 1, maxLength: 30 }), fc.boolean(), (steps, resumed) => {
        let tin = 0;
        let tout = 0;
        let usdMicros = 0;
        let charge: RunCharge = { reportedUsd: 0, estimatedUsd: 0 };
        let mark = { costUsd: 0, tokens: 0, unpricedTokens: 0 };
        let charged = 0;
        let highest = 0;
        const base = resumed ? { usd: 0, tokens: 40_000 } : undefined;
        for (const s of steps) {
          tin += s.dIn;
          tout += s.dOut;
          if (s.usd !== null) usdMicros = Math.max(usdMicros, s.usd);
          const costUsd = s.usd === null ? undefined : fromMicros(usdMicros);
          const engine = { tokensIn: tin + (base?.tokens ?? 0), tokensOut: tout, costUsd };
          const reported = { costUsd: costUsd ?? 0, tokens: engine.tokensIn + tout };
          const said = unpricedOf({ ...engine, tokensIn: tin }, base);
          const u = accrueUnpriced(mark, { ...reported, unpricedTokens: said }).unpricedTokens;
          const reportedUsd = Math.max(charge.reportedUsd, reported.costUsd);
          mark = { costUsd: reportedUsd, tokens: Math.max(mark.tokens, reported.tokens), unpricedTokens: u };
          const est = estimateUsd(u, engine, codex);
          const r = chargeRun(charge, { reportedUsd, estimateUsd: est });
          expect(r.deltaUsd).toBeGreaterThanOrEqual(0);
          charged += toMicros(r.deltaUsd);
          charge = r.charge;
          highest = Math.max(highest, toMicros(reportedUsd) + toMicros(est));
          // The bound: charged = reported (priced part) + estimated part, and the highest total seen, exactly.
          expect(charged).toBe(toMicros(charge.reportedUsd) + toMicros(charge.estimatedUsd));
          expect(charged).toBe(highest);
          expect(charge.estimatedUsd).toBeGreaterThanOrEqual(0);
        }
      }),
    );
  });
});

describe("the price table", () => {
  it("merges rates, removes with null, and refuses a new engine with one rate", () => {
    const t = applyPricesPatch({}, { codex });
    expect(applyPricesPatch(t, { codex: { usdPerMillionIn: 2 } })).toEqual({
      codex: { usdPerMillionIn: 2, usdPerMillionOut: 10 },
    });
    expect(applyPricesPatch(t, { codex: null })).toEqual({});
    expect(() => applyPricesPatch(t, { claude: { usdPerMillionIn: 3 } })).toThrow(/usdPerMillionOut/);
  });

  it("prices the default engine's runs by `*` only, never a named engine without a price", () => {
    const t = applyPricesPatch({}, { "*": codex });
    expect(priceOf(t, undefined)).toEqual(codex);
    expect(priceOf(t, "claude")).toBeUndefined();
    expect(priceOf(t, "constructor")).toBeUndefined();
  });
});
