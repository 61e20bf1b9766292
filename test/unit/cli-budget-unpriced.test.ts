// `gigafactory budget` over a real local socket says the tokens no USD came for (core/unpriced): with the budget's
// `unpricedTokens` above 0 an `unpriced` line right under the spend — "unpriced  1,204,311 tokens (engine reported no
// USD — not counted against the ceiling)" — and `--json` carries the field as the coordinator sent it; at 0, or from
// an older coordinator that sends no such field, no line at all.
import { describe, expect, it } from "vitest";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const START = Date.UTC(2026, 11, 1);

const view = (extra: Record<string, unknown>) => ({
  period: "day",
  ceilingUsd: 25,
  spentUsd: 2.5,
  state: "ok",
  periodStart: START,
  periodEnd: START + 86_400_000,
  onExhausted: "pause",
  warnAtUsd: 20,
  exhausted: false,
  spentSince: START,
  spentSinceCause: "period_start",
  burndown: [{ at: START, spentUsd: 0 }],
  ...extra,
});

async function budgetOf(extra: Record<string, unknown>, ...flags: string[]) {
  const { url } = await stubCoordinator((req, reply) => {
    if (req.method === "GET" && req.url === "/api/v1/products/shop/budget") return reply.json(200, view(extra));
    return reply.problem(404, { title: "not_found", detail: "no such route", code: "not_found" });
  });
  return captureCli(["budget", ...flags, ...connection(url, "shop")], { now: START + 3_600_000 });
}

describe("gigafactory budget: unpriced tokens", () => {
  it("prints the unpriced line under the spend when the period has some", async () => {
    const r = await budgetOf({ unpricedTokens: 1_204_311 });
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    const spent = lines.findIndex((l) => l.trim().startsWith("spent"));
    expect(lines[spent + 1]).toMatch(
      /^\s*unpriced\s+1,204,311 tokens \(engine reported no USD — not counted against the ceiling\)$/,
    );
  });

  it("--json carries the field", async () => {
    const r = await budgetOf({ unpricedTokens: 1_204_311 }, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ spentUsd: 2.5, unpricedTokens: 1_204_311 });
  });

  it("says nothing at 0, nor from an older coordinator without the field", async () => {
    for (const extra of [{ unpricedTokens: 0 }, {}]) {
      const r = await budgetOf(extra);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\s*spent\s+\$2\.50 of \$25\.00/m);
      expect(r.stdout).not.toMatch(/unpriced/);
    }
  });

  it("refuses a figure that is not a number as a bad answer", async () => {
    const r = await budgetOf({ unpricedTokens: "many" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR bad_response: /);
  });
});
