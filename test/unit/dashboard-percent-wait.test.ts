// The dashboard's shares and waits say no more than is true: a share under 1 is never "100 %" and one over 0 never
// "0 %" (dashboard/format.js wholePercent) — the Fleet load bar and utilisation tile of 199 busy seats of 200, a
// track record of 199 successes in 200, an engine's 99.6 % progress — and a feed's reconnect wait is said in whole
// seconds rounded up, "now" for none (format.js inSeconds; the feed's state line said 1.4 s as "in 1 s"); a time left
// (an open breaker's "… left", drawn and moved with the clock) likewise rounded up, never "0 s left" while open
// (format.js timeLeft; no page says a time left with the rounding `duration`).
import { readdirSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { JobFeedClient } from "../../dashboard/feed.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import * as format from "../../dashboard/format.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { trackLines } from "../../dashboard/learned.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { tilesOf } from "../../dashboard/metrics.js";

// Read off the module, not imported by name: a formatter missing fails its case, not the whole file.
const { inSeconds, timeLeft, wholePercent } = format;

describe("dashboard shares and waits", () => {
  it("says a whole percent that is 100 only when full and 0 only when empty", () => {
    expect(wholePercent(199 / 200)).toBe(99);
    expect(wholePercent(0.999999)).toBe(99);
    expect(wholePercent(1)).toBe(100);
    expect(wholePercent(1 / 1000)).toBe(1);
    expect(wholePercent(0)).toBe(0);
    expect(wholePercent(0.5)).toBe(50);
    expect(wholePercent(0.456)).toBe(46);
    expect(wholePercent(Number.NaN)).toBe(0);
    expect(wholePercent(1.2)).toBe(100);
  });

  it("shows 199 busy seats of 200 as 99% utilisation, not 100%", () => {
    const m = {
      queue: { depthByStage: {} },
      seats: { busy: 199, total: 200, utilisation: 199 / 200 },
      dispatchLatencyMs: { buckets: [], count: 0 },
    };
    const tiles = new Map(tilesOf(m).map(([label, value]: [string, string]) => [label, value]));
    expect(tiles.get("utilisation")).toBe("99%");
  });

  it("shows a track record of 199 successes in 200 as 99 % ok", () => {
    const records = [
      { factoryId: "f1", engine: "codex", jobClass: "any", record: { successes: 199, failures: 1, n: 200 } },
    ];
    const [line] = trackLines(records, "f1", 4, 0);
    expect(line.text).toMatch(/^codex · any — 99 % ok \(n=200\) · router's estimate 99 %$/);
  });

  it("says a time left in whole seconds rounded up: an open breaker never reads '0 s left'", () => {
    expect(timeLeft(400)).toBe("1 s");
    expect(timeLeft(1)).toBe("1 s");
    expect(timeLeft(1000)).toBe("1 s");
    expect(timeLeft(1001)).toBe("2 s");
    expect(timeLeft(59_500)).toBe("1 min 0 s");
    expect(timeLeft(3_599_001)).toBe("1 h 0 min");
    expect(timeLeft(0)).toBe("0 s");
    expect(timeLeft(-5)).toBe("0 s");
  });

  it("has no page say a time left (`until`, `openUntil` less now) with the rounding duration", () => {
    const dir = "dashboard";
    const rounding = /duration\([^;\n]*[uU]ntil[^;\n]*-\s*now/;
    const found = readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .filter((f) => rounding.test(readFileSync(`${dir}/${f}`, "utf8")));
    expect(found).toEqual([]);
  });

  it("says a wait in seconds rounded up, and 'now' for none", () => {
    expect(inSeconds(400)).toBe("in 1 s");
    expect(inSeconds(1400)).toBe("in 2 s");
    expect(inSeconds(2000)).toBe("in 2 s");
    expect(inSeconds(0)).toBe("now");
  });
});

describe("the feed's state line", () => {
  afterEach(() => vi.useRealTimers());

  it("says a 1.4 s reconnect wait as 'retrying in 2 s'", () => {
    vi.useFakeTimers();
    const states: string[] = [];
    const handlers = { onEvent: () => {}, onState: (s: string, d: string) => states.push(`${s}|${d}`) };
    // backoff 2 s after one failed try; random 0.4 → 2000 × (0.5 + 0.2) = 1400 ms
    const client = new JobFeedClient({ token: "gf_p_x", product: "p" }, "job_1", handlers, { random: () => 0.4 });
    client.backoff = 2000;
    client.retry("closed");
    client.stopped = true;
    expect(states.at(-1)).toBe("reconnecting|closed; retrying in 2 s");
  });
});
