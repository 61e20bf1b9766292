// The product's settings as dispatch reads them (runtime/meta `getSettings`) cost no copy per read: one defaults-filled
// document per stored text, handed out itself (red before: a `withDefaults` copy of the whole document per read — every
// dispatch pass, claim, run end, report retry and health check) — and no reader's change can reach the next read:
// every level is frozen, the price table's per-engine rates included (red before: `withDefaults` copied the table but
// shared its rate objects with the parsed memo, so a change to one reached every later read). A writer starts from
// `settingsToChange`, a copy of its own at every level.
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

const meta = await import("../../src/durable-objects/coordinator/runtime/meta.ts");
const { getSettings, saveSettings, settingsToChange, storedPrices } = meta;

/** A SQLite handle whose `meta` table holds one row, the settings (`doc`, none if undefined); writes replace it. */
function sqlWithSettings(doc: unknown): SqlStorage {
  let row = doc === undefined ? undefined : { value: JSON.stringify(doc) };
  const exec = (query: string, ...args: unknown[]) => {
    if (query.startsWith("INSERT INTO meta")) row = { value: String(args[1]) };
    return { toArray: () => (row && query.startsWith("SELECT") ? [row] : []), rowsWritten: 0 };
  };
  return { exec } as unknown as SqlStorage;
}

const PRICED = {
  weights: { load: 2 },
  retry: { baseSeconds: 7 },
  frozenSerialKeys: ["db"],
  prices: { claude: { usdPerMillionIn: 3, usdPerMillionOut: 15 } },
};

/** Try to change `read` as a careless caller would, each change on its own (a frozen level throws; caught). */
function tamper(read: unknown, prices: unknown): void {
  type Writable = {
    preemption: boolean;
    weights: Record<string, number>;
    retry: Record<string, number>;
    frozenSerialKeys: string[];
    prices: Record<string, Record<string, number>>;
  };
  const r = read as Writable;
  const p = prices as Writable["prices"] | undefined;
  const changes = [
    () => {
      r.weights.load = 99;
    },
    () => {
      r.retry.baseSeconds = 99;
    },
    () => r.frozenSerialKeys.push("x"),
    () => {
      if (r.prices.claude) r.prices.claude.usdPerMillionIn = 99;
    },
    () => {
      r.prices.gpt = { usdPerMillionIn: 1, usdPerMillionOut: 1 };
    },
    () => {
      if (p?.claude) p.claude.usdPerMillionOut = 99;
    },
    () => {
      r.preemption = true;
    },
  ];
  for (const change of changes) {
    try {
      change();
    } catch (err) {
      expect(err).toBeInstanceOf(TypeError); // a frozen level refuses the change
    }
  }
}

describe("getSettings", () => {
  it("builds one document per stored text, however often it is read", () => {
    for (const doc of [undefined, {}, PRICED]) {
      const sql = sqlWithSettings(doc);
      getSettings(sql); // the first read of a text may build its document
      settings.copies = 0;
      const first = getSettings(sql);
      for (let i = 0; i < 100; i++) expect(getSettings(sql)).toBe(first);
      expect(settings.copies).toBe(0);
    }
  });

  it("reads a saved change at once: a new text, a new document", () => {
    const sql = sqlWithSettings(PRICED);
    const before = getSettings(sql);
    saveSettings(sql, { ...settingsToChange(sql), leaseTtlSeconds: 120 });
    const after = getSettings(sql);
    expect(after).not.toBe(before);
    expect(after.leaseTtlSeconds).toBe(120);
    expect(after.prices).toEqual(PRICED.prices);
  });

  it("lets no reader's change reach the next read, at any depth", () => {
    for (const doc of [undefined, {}, PRICED]) {
      const sql = sqlWithSettings(doc);
      const expected = structuredClone(getSettings(sql));
      tamper(getSettings(sql), storedPrices(sql));
      expect(getSettings(sql)).toEqual(expected);
      expect(storedPrices(sql)).toEqual(doc === PRICED ? PRICED.prices : undefined);
    }
  });

  it("hands a writer a copy of its own: its changes reach nothing until saved", () => {
    const sql = sqlWithSettings(PRICED);
    const expected = structuredClone(getSettings(sql));
    const mine = settingsToChange(sql);
    mine.weights.load = 99;
    mine.frozenSerialKeys.push("x");
    mine.prices.claude = { usdPerMillionIn: 99, usdPerMillionOut: 99 };
    expect(getSettings(sql)).toEqual(expected);
    expect(settingsToChange(sql)).toEqual(expected);
  });
});
