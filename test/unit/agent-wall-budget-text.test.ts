// The wall-clock budget's failure message (agent/report `resultOf`) gives every number to the whole ms, by one rule
// (`exactSeconds`): to the tenth, an engine stopped 40 ms past a 10 s budget read "budget of 10s exceeded; engine
// stopped after 10.0s" — as if it had not gone over — and a resumed run's time rounded onto the budget the same way.
import { describe, expect, it } from "vitest";
import { exactSeconds, resultOf } from "../../src/agent/report.ts";

const wall = (durationMs: number) => ({ rc: 143, signal: null, durationMs, stoppedFor: "budget_wall" as const });

describe("the wall budget's message", () => {
  it("never shows a time over the budget as the budget itself", () => {
    const r = resultOf(wall(10_040), { wallSeconds: 10 });
    expect(r.result.message).toBe("wall-clock budget of 10s exceeded; engine stopped after 10.04s");
    expect(resultOf(wall(10_001), { wallSeconds: 10 }).result.message).toContain("stopped after 10.001s");
  });

  it("a resumed run's times by the same rule", () => {
    const r = resultOf(wall(6_830), { wallSeconds: 10, ranBeforeMs: 3_210 });
    expect(r.result.message).toBe(
      "wall-clock budget of 10s exceeded; engine stopped after 6.83s, 10.04s into the run (resumed 3.21s after it started)",
    );
  });

  it("seconds to the whole ms, trailing zeros dropped", () => {
    expect([10_000, 10_040, 999, 1, 0, 2_500, 604_800_000, 1234.6].map(exactSeconds)).toEqual([
      "10s",
      "10.04s",
      "0.999s",
      "0.001s",
      "0s",
      "2.5s",
      "604800s",
      "1.235s",
    ]);
    expect(resultOf(wall(1_500), { wallSeconds: 1.25 }).result.message).toMatch(/^wall-clock budget of 1.25s exceeded/);
  });
});
