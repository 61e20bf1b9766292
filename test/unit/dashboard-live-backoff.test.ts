// The dashboard's shared poller (dashboard/live.js) against a coordinator that fails for a while, under fake timers:
// each failed read waits longer before the next (6 s, 12 s, 24 s, then 30 s at most, jittered over the upper half),
// and the first read that works brings it back to every 3 s — every open tab polling an overloaded coordinator each
// 3 s kept it overloaded, all in step.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { Live, nextTickMs } from "../../dashboard/live.js";

const host = globalThis as unknown as Record<string, unknown>;
const saved = { fetch: host.fetch, location: host.location, document: host.document };
/** When each `GET …/queue-state` was sent (fake ms), and how many reads fail before the coordinator is back. */
let polls: number[] = [];
let failing = 0;

beforeEach(() => {
  vi.useFakeTimers();
  polls = [];
  Object.assign(host, {
    location: { origin: "http://dash.test" },
    document: { hidden: false },
    fetch: async (url: string) => {
      const path = new URL(url).pathname;
      if (path.endsWith("/queue-state")) {
        polls.push(Date.now());
        if (failing > 0) {
          failing--;
          const problem = { title: "Temporarily unavailable", detail: "overloaded", code: "unavailable" };
          return new Response(JSON.stringify(problem), { status: 503, headers: { "retry-after": "5" } });
        }
        return Response.json({ version: 1 });
      }
      if (path.endsWith("/stats")) return Response.json({ counts: {} });
      return Response.json({ factories: [] });
    },
  });
});
afterEach(() => {
  vi.useRealTimers();
  Object.assign(host, saved);
});

describe("dashboard poller after failed reads", () => {
  it("waits the upper half of a doubling backoff, capped at 30 s; none failed is the usual 3 s", () => {
    expect([0, 1, 2, 3, 4, 9].map((f) => nextTickMs(f, () => 0.999_999))).toEqual([
      3000, 6000, 12_000, 24_000, 30_000, 30_000,
    ]);
    expect([nextTickMs(1, () => 0), nextTickMs(4, () => 0)]).toEqual([3000, 15_000]);
  });

  it("backs off while the coordinator fails, and polls every 3 s again once a read works", async () => {
    failing = 4;
    const live = new Live({ token: "gf_p_x", product: "p" }, { random: () => 0.999_999 });
    live.start();
    for (let i = 0; i < 200 && polls.length < 7; i++) await vi.advanceTimersByTimeAsync(1000);
    live.stop();
    const gaps = polls.slice(1).map((t, i) => t - polls[i]!);
    expect(gaps).toEqual([6000, 12_000, 24_000, 30_000, 3000, 3000]);
    expect(live.error).toBe("");
  });
});
