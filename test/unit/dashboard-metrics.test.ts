// The dashboard's metrics tiles read p50/p99 off the histogram with the same rule as the coordinator's core
// (dashboard/metrics.js `quantile` equals core/metrics `quantileMs` for any histogram and quantile), so the page, the
// CLI and a Prometheus histogram_quantile agree; a quantile whose rank falls in the `+Inf` bucket reads "> 10 s" (a
// lower bound), not the last bound as if exact (`quantileText`; R2 saw "p99 10000 ms" with 5 of 26 runs over 10 s).
// The p99 tile shows under its label what it counts (due → leased, waits for a factory or a seat), as the CLI does.
// The seats tile names the leases held by factories down apart ("1/1 seats busy · 1 held by a factory down"), from
// the Fleet line's rule (fleet-seats.js), so the two never read as contradicting; its disconnected words are true
// when a draining factory's link ended too.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetSummary } from "../../dashboard/fleet.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { quantile, quantileText, tilesOf } from "../../dashboard/metrics.js";
import { cumulativeBuckets, emptyHistogram, LATENCY_BUCKETS_MS, observe, quantileMs } from "../../src/core/metrics.ts";

const bucketsOf = (samples: number[]) => cumulativeBuckets(samples.reduce(observe, emptyHistogram()));

describe("dashboard latency tiles", () => {
  it("estimate quantiles exactly as core/metrics does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 50_000, noNaN: true }), { maxLength: 60 }),
        fc.constantFrom(0.5, 0.9, 0.99, 1),
        (samples, q) => {
          const buckets = cumulativeBuckets(samples.reduce(observe, emptyHistogram()));
          expect(quantile(buckets, q)).toBe(quantileMs(buckets, q));
        },
      ),
    );
  });

  it("show a quantile in the +Inf bucket as over the last bound, the others as read", () => {
    // R2's fleet: 21 dispatches of 30 ms and 5 past 10 s (one of 300 s).
    const buckets = bucketsOf([...Array(21).fill(30), 12_000, 15_000, 20_000, 25_000, 300_000]);
    expect(quantileMs(buckets, 0.99)).toBe(10_000); // the bound: what used to read "10000 ms"
    expect(quantileText(buckets, 0.99)).toBe("> 10 s");
    expect(quantileText(buckets, 0.5)).toBe(`${Math.round(quantileMs(buckets, 0.5)!)} ms`);
    const tiles = new Map(
      (
        tilesOf({
          queue: { depthByStage: {} },
          seats: { busy: 0, total: 0, utilisation: 0 },
          dispatchLatencyMs: { buckets, count: 26 },
        }) as Array<[string, string]>
      ).map(([label, value]) => [label, value]),
    );
    expect(tiles.get("dispatch p99")).toBe("> 10 s");
    expect(quantileText(bucketsOf([]), 0.99)).toBe("—");
    expect(quantileText(bucketsOf([3]), 0.5)).toBe(`${quantileMs(bucketsOf([3]), 0.5)!.toFixed(1)} ms`);
  });

  it("say in their tooltip that a job's wait for a factory counts, not the coordinator's speed alone", () => {
    // One job that waited for a capable host read "dispatch p99 > 10 s" on an idle demo (newcomer N).
    const tiles = tilesOf({
      queue: { depthByStage: {} },
      seats: { busy: 0, total: 0, utilisation: 0 },
      dispatchLatencyMs: { buckets: bucketsOf([20, 30, 50_000]), count: 3 },
    }) as string[][];
    for (const [label, , tip] of tiles.filter(([l]) => l?.startsWith("dispatch")))
      expect(tip, label).toContain("a job's wait for a capable, connected factory or a free seat counts too");
    // The p99 tile shows it too, not only on hover: "> 10 s" had no word beside it (pass 43), as the CLI's line has.
    const p99 = tiles.find(([l]) => l === "dispatch p99");
    expect(p99?.[3]).toBe("due → leased: waits for a factory or a seat count");
  });

  it("name the seats counted whose factory's link ended, in the seats tile's label and title; nothing when none", () => {
    const tile = (seats: Record<string, number>) =>
      (
        tilesOf({ queue: { depthByStage: {} }, seats, dispatchLatencyMs: { buckets: bucketsOf([]), count: 0 } }) as [
          string,
          string,
          string,
        ][]
      ).find(([label]) => label.startsWith("seats busy"))!;
    const [label, value, title] = tile({
      busy: 1,
      total: 5,
      utilisation: 0.2,
      disconnected: 3,
      disconnectedFactories: 1,
    });
    expect([label, value]).toEqual(["seats busy · 3 disconnected", "1/5"]);
    // `disconnectedFactories` counts a draining factory too, whose seats are not counted: said as all links ended.
    expect(title).toMatch(
      /; 3 seats counted are on factories whose link ended: no work reaches them \(links ended in all: 1 factory, of any status — a draining or quarantined one's seats are not counted\)$/,
    );
    expect(tile({ busy: 1, total: 5, utilisation: 0.2, disconnected: 0, disconnectedFactories: 0 })[0]).toBe(
      "seats busy",
    );
    expect(tile({ busy: 1, total: 5, utilisation: 0.2 })[0]).toBe("seats busy"); // an older coordinator
  });

  it("say the leases held by factories down apart, as the Fleet line does, so the two never contradict", () => {
    // One factory up and idle (1 seat), one gone down holding a lease: the metrics count the lease, not its seat.
    const factories = [
      { id: "fac_a", name: "up", status: "active", health: "ok", seats: 1, load: 0, lastHeartbeatAt: 1 },
      { id: "fac_b", name: "gone", status: "active", health: "down", seats: 1, load: 1, lastHeartbeatAt: 1 },
    ];
    const m = {
      queue: { depthByStage: {} },
      seats: { busy: 1, total: 1, utilisation: 1, disconnected: 0, disconnectedFactories: 0 },
      dispatchLatencyMs: { buckets: bucketsOf([]), count: 0 },
    };
    const tiles = tilesOf(m, factories) as string[][];
    const seats = tiles.find(([l]) => l?.startsWith("seats busy"))!;
    expect(seats.slice(0, 2)).toEqual(["seats busy · 1 held by a factory down", "1/1"]);
    expect(seats[2]).toContain(
      "1 lease of them held by a factory down, whose seats are not counted: 0 of the 1 seat counted busy",
    );
    expect(tiles.find(([l]) => l === "utilisation")?.[3]).toBe("counts 1 lease held by a factory down");
    expect(fleetSummary(factories)).toBe(
      "2 factories · 0 of 1 seat busy · 1 more seat on factories down or never connected · 1 more job held by factories down",
    );
    // Without the fleet list (or none held away) the tiles read as before; never more held than the leases counted.
    expect((tilesOf(m) as string[][]).find(([l]) => l?.startsWith("seats busy"))?.[0]).toBe("seats busy");
    const fewer = { ...m, seats: { ...m.seats, busy: 0, utilisation: 0 } };
    expect((tilesOf(fewer, factories) as string[][]).find(([l]) => l?.startsWith("seats busy"))?.[0]).toBe(
      "seats busy",
    );
  });

  it("say 'over' exactly when more than (1 − q) of the samples are past the last bound", () => {
    const last = LATENCY_BUCKETS_MS.at(-1)!;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 50_000, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.constantFrom(0.5, 0.9, 0.99, 1),
        (samples, q) => {
          const within = samples.filter((v) => v <= last).length;
          const text = quantileText(bucketsOf(samples), q);
          expect(text.startsWith("> ")).toBe(q * samples.length > within);
          if (text.startsWith("> ")) expect(text).toBe("> 10 s");
        },
      ),
    );
  });
});
