// `gigafactory metrics` names the factory table's window exactly (cli/number-text `exactDuration`): a window of
// 90 min reads "RUNS 1h 30m" — it was rounded to whole hours ("RUNS 2h") — 24 h still "RUNS 24h", and an older
// coordinator's answer without the window reads "RUNS", not "RUNS NaNh".
import { describe, expect, it } from "vitest";
import { formatMetrics } from "../../src/cli/commands/metrics.ts";
import { exactDuration } from "../../src/cli/number-text.ts";
import { STAGES, type Stage } from "../../src/core/model.ts";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";

const zero = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
const metrics = (factoryWindowMs: number | undefined) =>
  ({
    schema_version: 1,
    generated_at: 0,
    product: "shop",
    queue: { depthByStage: zero },
    seats: { busy: 0, total: 2, utilisation: 0 },
    dispatchLatencyMs: { buckets: [], count: 0, sumMs: 0 },
    leaseExpiries: 0,
    retries: 0,
    breakers: [],
    openAlerts: { info: 0, warning: 0, critical: 0 },
    factories: [{ id: "f1", name: "box-a", runs: 3, successes: 2, successRate: 2 / 3 }],
    ...(factoryWindowMs === undefined ? {} : { factoryWindowMs }),
  }) as unknown as MetricsSnapshot;
const header = (text: string) =>
  text
    .split("\n")
    .find((l) => l.startsWith("FACTORY"))
    ?.replace(/\s+/g, " ");

describe("metrics' factory window", () => {
  it("is said exactly: 90 min is 1h 30m, neither 2h nor 1h; 24 h is 24h", () => {
    expect(header(formatMetrics(metrics(90 * 60_000)))).toBe("FACTORY RUNS 1h 30m OK SUCCESS");
    expect(header(formatMetrics(metrics(86_400_000)))).toBe("FACTORY RUNS 24h OK SUCCESS");
    expect(header(formatMetrics(metrics(30 * 60_000)))).toBe("FACTORY RUNS 30m OK SUCCESS");
  });

  it("is left out when the answer has none (an older coordinator), never NaN", () => {
    expect(header(formatMetrics(metrics(undefined)))).toBe("FACTORY RUNS OK SUCCESS");
  });

  it("exactDuration keeps every part and rounds only to the whole ms", () => {
    expect(exactDuration(0)).toBe("0ms");
    expect(exactDuration(90_500)).toBe("1m 30s 500ms");
    expect(exactDuration(36 * 3_600_000 + 1)).toBe("36h 1ms");
    expect(exactDuration(1.4)).toBe("1ms");
    for (const none of [Number.NaN, -1, Number.POSITIVE_INFINITY]) expect(exactDuration(none)).toBe("");
  });
});
