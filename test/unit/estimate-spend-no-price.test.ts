// A report that moves a run's unpriced mark, in a product with no `prices` set (most products), costs the estimate
// policy (coordinator/policies/estimate-spend) no settings document: it answers from the memoised settings' price
// table alone, with no `withDefaults` copy of the whole settings per report (red before: one per report).
import { describe, expect, it, vi } from "vitest";

const settings = vi.hoisted(() => ({ copies: 0 }));
vi.mock("../../src/core/settings.ts", async (original) => {
  const real = await original<typeof import("../../src/core/settings.ts")>();
  return {
    ...real,
    withDefaults: (...args: Parameters<typeof real.withDefaults>) => {
      settings.copies++;
      return real.withDefaults(...args);
    },
  };
});

const { chargeEstimate } = await import("../../src/durable-objects/coordinator/policies/estimate-spend.ts");

/** A SQLite handle whose `meta` holds `doc` as the settings: every statement answers that one row. */
function sqlWithSettings(doc: unknown): SqlStorage {
  const row = { value: JSON.stringify(doc) };
  return { exec: () => ({ toArray: () => [row] }) } as unknown as SqlStorage;
}

describe("estimate-spend with no price set", () => {
  it("answers the accrued delta without copying the settings, report after report", () => {
    for (const doc of [{}, { prices: {} }, { prices: { claude: { usdPerMillionIn: 3, usdPerMillionOut: 15 } } }]) {
      const tx = { sql: sqlWithSettings(doc), now: 0 } as unknown as Parameters<typeof chargeEstimate>[0];
      const run = { jobId: "j", leaseEpoch: 1, engine: "codex" };
      const before = { costUsd: 0, tokens: 0, estimatedUsd: 0 };
      settings.copies = 0;
      for (let i = 1; i <= 3; i++) {
        const charged = chargeEstimate(tx, run, before, 0, { tokensIn: i * 100 }, i * 100, 0);
        expect(charged).toEqual({ deltaUsd: 0, estimatedDeltaUsd: 0, estimatedUsd: 0 });
      }
      expect(settings.copies).toBe(0);
    }
  });
});
