// `gigafactory health` says "last shipped", not "last finished": the time it shows is when a job last reached
// shipped, and a newcomer read "last finished 5m" while jobs had reached testing a minute earlier (a job built and
// waiting in testing has not finished; stalled is "nothing shipped").
import { describe, expect, it } from "vitest";
import { formatHealth } from "../../src/cli/commands/alerts.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe("health's words", () => {
  it("names lastFinishedAt as the last job shipped", () => {
    const text = formatHealth(
      {
        status: "healthy",
        checkedAt: NOW,
        factories: { ok: 1, degraded: 0, down: 0, left: 0, disconnected: 0 },
        openAlerts: { info: 0, warning: 0, critical: 0, total: 0 },
        lastFinishedAt: NOW - 5 * 60_000,
        oldestQueuedAt: null,
        queued: 0,
        inBackoff: 0,
        building: 0,
        thresholds: { stuckAfterMinutes: 60, starvingAfterMinutes: 30, expectedFinishIntervalMinutes: 30 },
      },
      NOW,
    );
    expect(text).toMatch(/last shipped\s+5m/);
    expect(text).not.toContain("finished");
  });

  it("names the ok/degraded factories whose link ended, and says nothing of them when none did", () => {
    const base = {
      status: "healthy" as const,
      checkedAt: NOW,
      openAlerts: { info: 0, warning: 0, critical: 0, total: 0 },
      lastFinishedAt: null,
      oldestQueuedAt: null,
      queued: 0,
      inBackoff: 0,
      building: 0,
      thresholds: { stuckAfterMinutes: 60, starvingAfterMinutes: 30, expectedFinishIntervalMinutes: 30 },
    };
    const cut = formatHealth({ ...base, factories: { ok: 2, degraded: 1, down: 1, left: 0, disconnected: 1 } }, NOW);
    expect(cut).toMatch(/factories\s+2 ok · 1 degraded \(1 of these disconnected\) · 1 down$/m);
    const none = formatHealth({ ...base, factories: { ok: 2, degraded: 0, down: 0, left: 1, disconnected: 0 } }, NOW);
    expect(none).toMatch(/factories\s+2 ok · 0 degraded · 0 down · 1 left$/m);
  });
});
