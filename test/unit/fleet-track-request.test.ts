// The fleet page asks only for the track records its cards show (dashboard/fleet-track.js): its poll reads
// GET …/routing/track-records?perFactory=4, not every record of the product (up to 5,000, ~1 MB every 30 s), and
// draws each card's lines from that answer. And what the server keeps per factory (policies/track-record-reads
// `topPerFactory`, fast-check) is exactly what a card shows from the whole list (dashboard/learned.js `trackLines`):
// the narrowed answer changes no card.
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { TRACK_LINES, trackRecordsFeed } from "../../dashboard/fleet-track.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { trackLines } from "../../dashboard/learned.js";
import { topPerFactory } from "../../src/durable-objects/coordinator/policies/track-record-reads.ts";
import type { KeyedRecord } from "../../src/durable-objects/coordinator/policies/track-records.ts";

const rec = (factoryId: string, engine: string, jobClass: string, n: number): KeyedRecord => ({
  factoryId,
  engine,
  jobClass,
  record: {
    successes: n,
    failures: 0,
    n,
    durationMs: { w: 0, mean: 0, m2: 0 },
    costUsd: { w: 0, mean: 0, m2: 0 },
    updatedAt: 0,
  },
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the fleet page's track-record read", () => {
  it("asks for each factory's few records with the most runs, and hands the cards that answer", async () => {
    const answer = { records: [rec("f1", "codex", "lang:go", 3)] };
    const fetch = vi.fn(async (_url: string) => Response.json(answer));
    vi.stubGlobal("fetch", fetch);
    vi.stubGlobal("location", { origin: "http://gf.test" });
    let changed = () => {};
    const drawn = new Promise<void>((resolve) => {
      changed = resolve;
    });
    const feed = trackRecordsFeed({ token: "t", product: "p" }, () => changed());
    try {
      await drawn;
      expect(fetch.mock.calls.map(([url]) => url)).toEqual([
        `http://gf.test/api/v1/products/p/routing/track-records?perFactory=${TRACK_LINES}`,
      ]);
      expect(feed.records()).toEqual(answer.records);
    } finally {
      feed.stop();
    }
  });

  it("the server's top records per factory are the lines each card shows from the whole list", () => {
    const name = fc.constantFrom("*", "codex", "claude", "a", "b|c", "Z", "é");
    const record = fc
      .tuple(fc.constantFrom("f1", "f2", "f3"), name, name, fc.nat({ max: 6 }))
      .map(([f, e, c, n]) => rec(f, e, c, n));
    const unique = fc.uniqueArray(record, { selector: (r) => `${r.factoryId}\n${r.engine}\n${r.jobClass}` });
    fc.assert(
      fc.property(unique, (records) => {
        const narrowed = topPerFactory(records, TRACK_LINES);
        for (const f of ["f1", "f2", "f3"]) {
          expect(trackLines(narrowed, f, TRACK_LINES)).toEqual(trackLines(records, f, TRACK_LINES));
          expect(narrowed.filter((r) => r.factoryId === f).length).toBeLessThanOrEqual(TRACK_LINES);
        }
      }),
    );
  });
});
