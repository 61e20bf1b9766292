// The dashboard says one of a thing in the singular wherever it counts seats, dispatches, tokens or files: the Fleet
// line ("0 of 1 seat busy"), a factory's seat bar and its label, an enrollment code's binding ("at most 1 seat"),
// the dispatch tiles' tooltip ("over 1 dispatch"), a job's token budget ("1 token") — each said "1 seats", "1
// dispatches", "1 tokens" — and still the plural for any other count. A count past a thousand is grouped ("12,000
// jobs") as the CLI groups one (core/unpriced groupedCount): the dashboard printed "12000 jobs".
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { bindsText } from "../../dashboard/enrollment-code-text.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetSummary } from "../../dashboard/fleet.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { counted } from "../../dashboard/format.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { budgetParts } from "../../dashboard/job-facts.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { tilesOf } from "../../dashboard/metrics.js";
import { groupedCount } from "../../src/core/unpriced.ts";

const factory = (seats: number) => ({ seats, load: 0, status: "active", health: "ok", lastHeartbeatAt: 1 });

describe("dashboard counts one in the singular", () => {
  it("the Fleet line counts seats", () => {
    expect(fleetSummary([factory(1)])).toBe("1 factory · 0 of 1 seat busy");
    expect(fleetSummary([factory(2)])).toBe("1 factory · 0 of 2 seats busy");
    expect(fleetSummary([factory(1), { ...factory(1), health: "down" }])).toBe(
      "2 factories · 0 of 1 seat busy · 1 more seat on factories down or never connected",
    );
  });

  it("an enrollment code binds at most one seat", () => {
    expect(bindsText({ seats: 1 })).toBe("any host · at most 1 seat");
    expect(bindsText({ name: "box", seats: 3 })).toBe("host box · at most 3 seats");
  });

  it("the dispatch tiles' tooltip counts dispatches", () => {
    const tips = (count: number) =>
      (
        tilesOf({
          queue: { depthByStage: {} },
          seats: { busy: 0, total: 0, utilisation: 0 },
          dispatchLatencyMs: { buckets: [], count },
        }) as string[][]
      )
        .filter(([label]) => label?.startsWith("dispatch"))
        .map(([, , tip]) => tip);
    const one = "Due → lease granted, over 1 dispatch — ";
    expect(tips(1).map((t) => t?.slice(0, one.length))).toEqual([one, one]);
    expect(tips(2)[0]?.startsWith("Due → lease granted, over 2 dispatches — ")).toBe(true);
  });

  it("a job's budget counts tokens", () => {
    expect(budgetParts({ tokens: 1 })).toEqual(["1 token"]);
    expect(budgetParts({ tokens: 5000 })).toEqual(["5,000 tokens"]);
  });

  it("groups a count past a thousand as the CLI does", () => {
    expect(counted(12_000, "job")).toBe("12,000 jobs");
    expect(counted(1_204_311, "token")).toBe("1,204,311 tokens");
    for (const n of [0, 1, 999, 1000, 12_000, 1_204_311]) expect(counted(n, "job")).toMatch(`${groupedCount(n)} `);
    // The Fleet line's own counts too: "1001 factories · 0 of 2002 seats busy".
    const busy = Array.from({ length: 1001 }, () => ({ ...factory(2), load: 1 }));
    expect(fleetSummary(busy)).toBe("1,001 factories · 1,001 of 2,002 seats busy");
    // …and its count of disconnected factories beside them: "1,001 factories … · 1001 disconnected".
    const cut = busy.map((f) => ({ ...f, connected: false }));
    expect(fleetSummary(cut)).toBe("1,001 factories · 1,001 of 2,002 seats busy · 1,001 disconnected");
  });
});
