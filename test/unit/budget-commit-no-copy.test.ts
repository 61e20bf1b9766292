// A report that charges USD while a product budget is set commits the budget (coordinator/policies/budget `spend` →
// `commit`) on every report; the settings document needs changing only when the budget's pause flips. This proves
// such a report takes no writer's copy of the settings (`settingsToChange`, a structuredClone of the whole
// document) while the flag stays as it is, and takes one when it flips (red before: a copy per charged report).
import { describe, expect, it, vi } from "vitest";

const copies = vi.hoisted(() => ({ n: 0 }));
vi.mock("../../src/durable-objects/coordinator/runtime/meta.ts", async (original) => {
  const real = await original<typeof import("../../src/durable-objects/coordinator/runtime/meta.ts")>();
  return {
    ...real,
    settingsToChange: (...args: Parameters<typeof real.settingsToChange>) => {
      copies.n++;
      return real.settingsToChange(...args);
    },
  };
});

const { spend } = await import("../../src/durable-objects/coordinator/policies/budget.ts");

/** A SQLite handle holding one budget document and a settings row; writes of either are kept, others ignored. */
function fakeSql(budget: object): SqlStorage {
  const rows: Record<string, string | undefined> = { budget: JSON.stringify(budget), settings: undefined };
  const cursor = (found: unknown[]) => ({ toArray: () => found, rowsWritten: 0 });
  return {
    exec: (query: string, ...args: unknown[]) => {
      if (query.startsWith("SELECT doc FROM budget")) return cursor(rows.budget ? [{ doc: rows.budget }] : []);
      if (query.startsWith("INSERT OR REPLACE INTO budget")) rows.budget = String(args[0]);
      if (query.startsWith("SELECT value FROM meta") && args[0] === "settings")
        return cursor(rows.settings ? [{ value: rows.settings }] : []);
      if (query.includes("INTO meta") && args[0] === "settings") rows.settings = String(args[1]);
      return cursor([]);
    },
  } as unknown as SqlStorage;
}

describe("a charged report under a product budget", () => {
  it("copies the settings only when the budget's pause flips", () => {
    const now = Date.UTC(2026, 11, 8, 12);
    const budget = {
      ceilingUsd: 10,
      period: "month",
      onExhausted: "pause",
      spentUsd: 0,
      periodStart: Date.UTC(2026, 11, 1),
      burndown: [],
    };
    const tx = { sql: fakeSql(budget), now } as unknown as Parameters<typeof spend>[0];
    copies.n = 0;
    for (let i = 0; i < 5; i++) spend(tx, 0.5);
    expect(copies.n).toBe(0);
    spend(tx, 20); // over the ceiling: exhausted, paused — the one change of the settings document
    expect(copies.n).toBe(1);
  });
});
