// A `budget_paused` wait names who paused (an operator or exhaustion), the spend against the ceiling and what ends
// it — exhaustion's at the period's end (`detail.until`, 00:00Z for a daily budget), an operator's by a resume — and a
// job no factory could run with the budget open either reads the fleet's cause first, the pause named after it
// (a tpu job read `budget_paused`, then `no_capable_factory` once resumed). A job whose serial key an operator froze
// too names the freeze after the pause (`detail.serialKeyFrozen`): lifting the pause left it waiting, never told why.
// An operator's pause with no budget set says so: no spend, no ceiling to raise (it read "raises a spent ceiling").
import { describe, expect, it } from "vitest";
import { type BudgetPause, budgetPausedWords } from "../../src/core/budget-pause.ts";
import type { RouteContext } from "../../src/core/router.ts";
import { waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = Date.UTC(2026, 11, 6, 21, 0, 0);
const END = Date.UTC(2026, 11, 7);
const pause = (over: Partial<BudgetPause> = {}): BudgetPause => ({
  pausedBy: "exhausted",
  exhausted: true,
  period: "day",
  spentUsd: 2.05,
  ceilingUsd: 2,
  periodEnd: END,
  ...over,
});

describe("budget_paused in words", () => {
  it("exhaustion: the spend of the ceiling, and the period's end that lifts it", () => {
    const { message, detail } = budgetPausedWords(pause());
    expect(message).toBe(
      "the product's budget is spent ($2.05 of $2.00 per day): dispatch is paused — it lifts when the day ends at " +
        "2026-12-07T00:00:00Z; `gigafactory budget set day CEILING_USD` raises the ceiling, `gigafactory budget " +
        "resume` runs on over it",
    );
    expect(detail).toMatchObject({ pausedBy: "exhausted", spentUsd: 2.05, ceilingUsd: 2, until: END });
  });

  it("an operator's pause: said so, with the spend; no end but a resume", () => {
    const { message, detail } = budgetPausedWords(pause({ pausedBy: "operator", exhausted: false, spentUsd: 1.2 }));
    expect(message).toBe(
      "the product's budget is paused by an operator ($1.20 of $2.00 per day spent) — `gigafactory budget resume` " +
        "lifts the pause",
    );
    expect(detail).toMatchObject({ pausedBy: "operator" });
    expect(detail).not.toHaveProperty("until");
    const over = budgetPausedWords(pause({ pausedBy: "operator" })).message;
    expect(over).toContain("paused by an operator, and spent ($2.05 of $2.00 per day)");
    // One resume lifts the operator's pause only (as `gigafactory budget`'s next line says): it said "resume lifts
    // the pause; then … resume runs on over it", and that resume left the job waiting on exhaustion's pause.
    expect(over).toBe(
      "the product's budget is paused by an operator, and spent ($2.05 of $2.00 per day) — `gigafactory budget " +
        "resume` lifts the operator's pause only: the budget is spent too, and exhaustion's pause stays — it lifts " +
        "when the day ends at 2026-12-07T00:00:00Z; `gigafactory budget set day CEILING_USD` raises the ceiling, " +
        "`gigafactory budget resume` runs on over it",
    );
  });

  it("an operator's pause with no budget set: no spend, no ceiling to raise, a resume lifts it", () => {
    // It read "`gigafactory budget set` raises a spent ceiling": there was no budget, nothing spent, no ceiling.
    const { message, detail } = budgetPausedWords(null);
    expect(message).toBe(
      "dispatch is paused by an operator, and no budget is set (this pause has no ceiling or period) — " +
        "`gigafactory budget resume` lifts the pause",
    );
    expect(detail).toEqual({ pausedBy: "operator", budget: null });
    // A caller that read no budget at all says neither a spend nor a ceiling it does not know of.
    const unread = budgetPausedWords(undefined);
    expect(unread.message).not.toMatch(/spent|ceiling/);
    expect(unread.detail).toEqual({});
  });

  it("a job no factory could run names that first, and the pause after it", () => {
    const ctx: RouteContext = { now: NOW, budgetPaused: true, budgetPause: pause({ pausedBy: "operator" }) };
    const fleet = { factories: [factoryFixture(NOW, { capabilities: ["gpu"] })], connected: new Set(["f1"]) };
    const tpu = waitingReasonOf(jobFixture(NOW, { requires: ["tpu"] }), { ctx, ...fleet }, NOW);
    expect(tpu?.code).toBe("no_capable_factory");
    expect(tpu?.message).toMatch(
      /^waiting for a factory with tpu — .*; and the product's budget is paused by an operator/,
    );
    expect(tpu?.detail).toMatchObject({ missing: ["tpu"], budgetPaused: { pausedBy: "operator" } });
    const gpu = waitingReasonOf(jobFixture(NOW, { requires: ["gpu"] }), { ctx, ...fleet }, NOW);
    expect(gpu?.code).toBe("budget_paused");
  });

  it("a frozen serial key is named after the pause (and after the fleet's cause), with its command and when it froze", () => {
    const frozeAt = NOW - 60_000;
    const ctx: RouteContext = {
      now: NOW,
      budgetPaused: true,
      budgetPause: pause({ pausedBy: "operator" }),
      frozenSerialKeys: new Set(["repo-a"]),
    };
    const fleet = {
      factories: [factoryFixture(NOW, { capabilities: ["gpu"] })],
      connected: new Set(["f1"]),
      frozenAt: new Map([["repo-a", frozeAt]]),
    };
    const job = (requires: string[]) => jobFixture(NOW, { requires, serialKey: "repo-a", queuedAt: NOW - 3_600_000 });
    const gpu = waitingReasonOf(job(["gpu"]), { ctx, ...fleet }, NOW);
    expect(gpu?.code).toBe("budget_paused"); // the most actionable cause first, as before: additive only
    expect(gpu?.message).toMatch(
      /^the product's budget is paused by an operator.*; and serial key repo-a is frozen — `gigafactory serial unfreeze repo-a` lets its jobs run$/,
    );
    expect(gpu?.detail).toMatchObject({
      pausedBy: "operator",
      serialKeyFrozen: { serialKey: "repo-a", frozenAt: frozeAt },
    });
    const tpu = waitingReasonOf(job(["tpu"]), { ctx, ...fleet }, NOW);
    expect(tpu?.code).toBe("no_capable_factory");
    expect(tpu?.message).toMatch(/; and the product's budget is paused .*; and serial key repo-a is frozen — /);
    expect(tpu?.detail).toMatchObject({
      budgetPaused: { pausedBy: "operator" },
      serialKeyFrozen: { frozenAt: frozeAt },
    });
    // The budget open: the freeze alone, as it always read.
    const open = waitingReasonOf(job(["gpu"]), { ctx: { ...ctx, budgetPaused: false }, ...fleet }, NOW);
    expect(open?.code).toBe("serial_key_frozen");
    expect(open?.detail).toEqual({ serialKey: "repo-a", frozenAt: frozeAt });
  });
});
