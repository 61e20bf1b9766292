// The header's health badge says since when a stalled product is stalled (dashboard/health-badge.js): it said
// "stalled" alone. `stalledSince` reads the moment from GET …/health's own fields by the core's rule (core/health
// `stalledFrom`, which the dashboard cannot import) and agrees with it for any last finish, wait and interval; the
// badge reads "stalled since <time>" (with the date past 20 h), its title when nothing last shipped, and a product
// that is not stalled, or an answer without those fields (an older coordinator), reads its status alone.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { healthText, stalledSince } from "../../dashboard/health-badge.js";
import { stalledFrom } from "../../src/core/health.ts";

const T = Date.UTC(2026, 11, 5, 12, 0, 0);
const MIN = 60_000;
const base = {
  status: "stalled",
  openAlerts: { total: 1 },
  factories: { ok: 1, degraded: 0, down: 0 },
  thresholds: { expectedFinishIntervalMinutes: 30 },
};

describe("the stalled badge's since when", () => {
  it("agrees with the core's stalledFrom for any last finish, wait and interval", () => {
    for (const lastFinishedAt of [null, T - 600 * MIN, T - 90 * MIN, T - 5 * MIN])
      for (const oldestQueuedAt of [T - 900 * MIN, T - 120 * MIN, T - 61 * MIN])
        for (const every of [1, 30, 240]) {
          const hl = { ...base, lastFinishedAt, oldestQueuedAt, thresholds: { expectedFinishIntervalMinutes: every } };
          const core = stalledFrom({
            lastFinishedAt: lastFinishedAt ?? undefined,
            oldestWaitingSince: oldestQueuedAt,
            expectedFinishIntervalMinutes: every,
          });
          expect(stalledSince(hl)).toBe(core);
        }
  });

  it("says the time it stalled at, with the date once that is more than 20 h ago", () => {
    const hl = { ...base, lastFinishedAt: T - 120 * MIN, oldestQueuedAt: T - 180 * MIN };
    const since = T - 60 * MIN; // the last finish + 2 × 30 min
    const text = healthText(hl, T);
    const clock = new Intl.DateTimeFormat(undefined, {
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hour12: false,
    }).format(new Date(since));
    expect(text.text).toBe(`stalled since ${clock}`);
    expect(text.title).toMatch(
      /^Stalled since .+: nothing shipped since .+ while work waits \(one is expected every 30 min\) · 1 open alert/,
    );
    const dated = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" }).format(
      new Date(since),
    );
    expect(healthText(hl, since + 21 * 60 * MIN).text).toBe(`stalled since ${dated}`);
    expect(healthText({ ...hl, lastFinishedAt: null }, T).title).toMatch(/nothing shipped yet while work waits/);
  });

  it("reads a status alone when not stalled, or when the answer cannot say since when", () => {
    const healthy = { ...base, status: "healthy", lastFinishedAt: null, oldestQueuedAt: null };
    expect(stalledSince(healthy)).toBeUndefined();
    expect(healthText(healthy, T).text).toBe("healthy");
    const older = { status: "stalled", openAlerts: { total: 0 }, factories: { ok: 0, degraded: 0, down: 1 } };
    expect(stalledSince(older)).toBeUndefined();
    expect(healthText(older, T)).toEqual({
      text: "stalled",
      title: "0 open alerts · factories 0 ok, 0 degraded, 1 down",
    });
  });

  it("says how many factories counted up have lost their link, in its words and its title, and nothing when none", () => {
    // GET …/health's `factories.disconnected`: a closed socket's factory reads ok for ~30 s (heartbeat-based).
    const cut = { ...base, status: "healthy", lastFinishedAt: null, oldestQueuedAt: null };
    const hl = { ...cut, factories: { ok: 2, degraded: 0, down: 0, disconnected: 1 } };
    expect(healthText(hl, T)).toEqual({
      text: "healthy · 1 disconnected",
      title:
        "1 open alert · factories 2 ok, 0 degraded (1 of these disconnected: no live link, no work reaches them), 0 down",
    });
    const none = { ...cut, factories: { ok: 2, degraded: 0, down: 0, disconnected: 0 } };
    expect(healthText(none, T).text).toBe("healthy");
    const stalled = { ...hl, status: "stalled", lastFinishedAt: T - 120 * MIN, oldestQueuedAt: T - 180 * MIN };
    expect(healthText(stalled, T).text).toMatch(/^stalled since .+ · 1 disconnected$/);
  });
});
