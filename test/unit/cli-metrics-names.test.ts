// `gigafactory metrics` tells two factories of one name apart: a host revoked and enrolled again under its name is
// two factories, the revoked one listed while a run of it ended in the window, and the table read "box-2" twice with
// two different counts — each such row now carries its id; a name no other row has stays alone.
import { describe, expect, it } from "vitest";
import { formatMetrics } from "../../src/cli/commands/metrics.ts";
import { STAGES, type Stage } from "../../src/core/model.ts";
import type { MetricsSnapshot } from "../../src/shared/api-metrics.ts";

const zero = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
const rate = (id: string, name: string, runs: number, successes: number) => ({
  id,
  name,
  runs,
  successes,
  successRate: runs ? successes / runs : 0,
});

describe("metrics' factory rows", () => {
  it("name a shared name's factories by id too, and leave a unique name alone", () => {
    const m = {
      queue: { depthByStage: zero },
      seats: { busy: 0, total: 2, utilisation: 0 },
      dispatchLatencyMs: { buckets: [], count: 0, sumMs: 0 },
      leaseExpiries: 0,
      retries: 0,
      breakers: [],
      openAlerts: { info: 0, warning: 0, critical: 0 },
      factories: [rate("fac_old", "box-2", 4, 1), rate("fac_new", "box-2", 3, 3), rate("fac_a", "box-a", 2, 2)],
      factoryWindowMs: 86_400_000,
    } as unknown as MetricsSnapshot;
    const rows = formatMetrics(m)
      .split("\n")
      .filter((l) => l.startsWith("box-"))
      .map((l) => l.replace(/\s+/g, " "));
    expect(rows).toEqual(["box-2 (fac_old) 4 1 25%", "box-2 (fac_new) 3 3 100%", "box-a 2 2 100%"]);
  });
});
