// `gigafactory budget get|set|pause|resume` over a real local socket: `set PERIOD CEILING_USD [--on-exhausted]` sends
// one PUT validated by the real schema (without the flag, what exhaustion does now is kept: a GET first), get prints spend against the ceiling, since when it counts, state and the latest burndown points
// (or the record under --json) — a $0.03 budget's amounts with the digits that keep them consistent ($0.037 of $0.03
// at 123 %, warns at $0.024; not $0.04 and $0.02) — pause/resume POST and show the new state (a resume that leaves the budget paused by
// exhaustion says so, and what lifts it), a product without a budget reads "No budget is set … Set one: …" (exit 0;
// `--json` prints null) — and pause and resume work without one, `budget` then saying the pause — and an unknown
// product whose name says "budget" is neither (the problem's `what` decides, not its words) —, a ceiling outside the coordinator's bounds ($0.01 to $10M) and a malformed command line a usage error (exit 2) that
// sends nothing; a budget run over its ceiling by an operator's resume reads `overrun` with why dispatch goes on; the
// percentage of the ceiling agrees with the state (≥ 80 exactly when it warns, ≥ 100 exactly when the ceiling is
// reached: $24.90 of $25 is 99 %, not a rounded 100 % beside `warning`).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ShownBudget as BudgetView } from "../../src/cli/commands/budget-format.ts";
import { formatBudget, percentOfCeiling } from "../../src/cli/commands/budget-format.ts";
import { fromMicros, overCeiling, warns } from "../../src/core/budget.ts";
import { BudgetBody } from "../../src/shared/api-budget.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const START = Date.UTC(2026, 11, 1);

/** A stand-in coordinator holding one product's budget, validating PUT bodies with the real schema. */
async function coordinator(spentUsd = 8.5): Promise<{ url: string; calls: string[] }> {
  let budget: BudgetView | undefined;
  let unsetPaused = false;
  const { url, lines } = await stubCoordinator((req, reply) => {
    const send = (status: number, doc: unknown) => reply.json(status, doc);
    const problem = (status: number, code: string, detail: string, extra: Record<string, unknown> = {}) =>
      reply.problem(status, { title: code, detail, code, ...extra });
    const base = "/api/v1/products/shop/budget";
    if (req.url.startsWith("/api/v1/products/budget-shop/")) {
      const detail = "product budget-shop does not exist; the admin creates it with POST /api/v1/products";
      return problem(404, "not_found", detail, { what: "product", id: "budget-shop" });
    }
    if (req.method === "PUT" && req.url === base) {
      const parsed = BudgetBody.safeParse(req.body);
      if (!parsed.success) return problem(400, "validation_failed", `body: ${parsed.error.issues[0]!.message}`);
      budget = {
        ...parsed.data,
        spentUsd,
        state: "warning",
        periodStart: START,
        periodEnd: START + 86_400_000,
        warnAtUsd: parsed.data.ceilingUsd * 0.8,
        exhausted: false,
        spentSince: START,
        spentSinceCause: "period_start",
        burndown: [
          { at: START, spentUsd: 0 },
          { at: START + 3_600_000, spentUsd },
        ],
      };
      return send(200, budget);
    }
    if (!budget) {
      // No budget: an operator's pause all the same (coordinator/policies/budget-unset), said by GET's 404.
      if (req.method === "POST" && (req.url === `${base}/pause` || req.url === `${base}/resume`)) {
        const pause = req.url.endsWith("/pause");
        const changed = unsetPaused !== pause;
        unsetPaused = pause;
        return send(200, { budget: null, ...(pause ? { pausedBy: "operator" } : {}), changed });
      }
      const detail = "budget of product shop does not exist";
      const paused = unsetPaused ? { pausedBy: "operator" } : {};
      return problem(404, "not_found", detail, { what: "budget of product", id: "shop", ...paused });
    }
    if (req.method === "GET" && req.url === base) return send(200, budget);
    if (req.method === "POST" && req.url === `${base}/pause`) {
      budget = { ...budget, state: "paused", pausedBy: "operator" };
      return send(200, budget);
    }
    if (req.method === "POST" && req.url === `${base}/resume`) {
      const { pausedBy: _, ...rest } = budget;
      // Over the ceiling, lifting an operator's pause leaves the exhaustion pause (coordinator/policies/budget).
      const over = budget.pausedBy === "operator" && budget.spentUsd >= budget.ceilingUsd;
      budget = over ? { ...rest, state: "paused", pausedBy: "exhausted" } : { ...rest, state: "warning" };
      return send(200, budget);
    }
    return problem(404, "not_found", "no such route");
  });
  return { url, calls: lines };
}

const cli = (url: string, ...argv: string[]) =>
  captureCli([...argv, ...connection(url, "shop")], { now: START + 3_700_000 });

describe("gigafactory budget", () => {
  it("says plainly that no budget is set, and how to set one: exit 0, --json null", async () => {
    const { url } = await coordinator();
    for (const words of [["budget"], ["budget", "get"]]) {
      const r = await cli(url, ...words);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe(
        "No budget is set for product shop: spend does not limit dispatch. Set one: `gigafactory budget set day|week|month CEILING_USD`",
      );
    }
    const json = await cli(url, "budget", "--json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toBeNull();
  });

  // An emergency stop needs no ceiling (SPEC §6): it was `✘ ERROR not_found: budget of product shop does not exist`.
  it("pauses and resumes with no budget set, and `budget` says the pause in force", async () => {
    const { url } = await coordinator();
    const paused = await cli(url, "budget", "pause");
    expect(paused.code).toBe(0);
    expect(paused.stderr).toBe("");
    expect(paused.stdout.trim()).toBe(
      "✔ Dispatch paused by an operator: no new dispatch in product shop (running jobs finish); no budget is set, so " +
        "this pause has no ceiling or period — `gigafactory budget resume` lifts the pause",
    );
    expect((await cli(url, "budget", "pause")).stdout).toMatch(/^already paused by an operator: nothing changed/);
    expect((await cli(url, "budget")).stdout.trim()).toBe(
      "No budget is set for product shop: spend does not limit dispatch. Dispatch is paused by an operator — " +
        "`gigafactory budget resume` lifts the pause. Set one: `gigafactory budget set day|week|month CEILING_USD`",
    );
    expect(JSON.parse((await cli(url, "budget", "--json")).stdout)).toBeNull(); // scripts' "no budget", as ever
    const json = await cli(url, "budget", "resume", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ budget: null, changed: true });
    expect((await cli(url, "budget", "resume")).stdout.trim()).toBe(
      "already running: dispatch was not paused, nothing resumed",
    );
  });

  it("an unknown product named budget-… is the product's not_found, never 'no budget is set'", async () => {
    const { url } = await coordinator();
    for (const words of [["budget"], ["budget", "pause"]]) {
      const r = await captureCli([...words, ...connection(url, "budget-shop")], { now: START });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^✘ ERROR not_found: product budget-shop does not exist/);
      expect(r.stderr).not.toMatch(/budget set/);
    }
  });

  it("set sends one PUT and prints spend, state and burndown; get --json is the record", async () => {
    const { url, calls } = await coordinator();
    const r = await cli(url, "budget", "set", "day", "10", "--on-exhausted", "stop");
    expect(r.code).toBe(0);
    expect(calls).toEqual(["PUT /api/v1/products/shop/budget"]);
    expect(r.stdout).toContain("✔ Budget set");
    expect(r.stdout).toMatch(/spent\s+\$8\.50 of \$10\.00 \(85 %\)/);
    // Since when the spend counts (it never said): here the period's start.
    expect(r.stdout).toMatch(/counted\s+since 2026-12-01T00:00:00Z \(period start\)\n/);
    expect(r.stdout).toMatch(/state\s+warning/);
    expect(r.stdout).toMatch(/onExhausted\s+stop/);
    expect(r.stdout).toContain("burndown (last 2 of 2)");
    expect(r.stdout).toContain("2026-12-01T01:00:00Z  $8.50");
    const json = await cli(url, "budget", "get", "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({
      period: "day",
      ceilingUsd: 10,
      onExhausted: "stop",
      spentUsd: 8.5,
      spentSince: Date.UTC(2026, 11, 1),
      spentSinceCause: "period_start",
    });
  });

  it("set without --on-exhausted keeps what exhaustion does now (pause for a new budget)", async () => {
    const { url, calls } = await coordinator();
    await cli(url, "budget", "set", "day", "10");
    expect(calls).toEqual(["GET /api/v1/products/shop/budget", "PUT /api/v1/products/shop/budget"]);
    expect(JSON.parse((await cli(url, "budget", "--json")).stdout).onExhausted).toBe("pause");
    await cli(url, "budget", "set", "day", "10", "--on-exhausted", "stop");
    // Raising the ceiling mid-incident must not turn the operator's stop back into a pause.
    const raised = await cli(url, "budget", "set", "day", "50", "--json");
    expect(raised.code).toBe(0);
    expect(JSON.parse(raised.stdout)).toMatchObject({ ceilingUsd: 50, onExhausted: "stop" });
  });

  it("prints a sub-dollar budget's amounts with the digits that keep them consistent (R2: $0.04 of $0.03)", async () => {
    const { url } = await coordinator(0.037008);
    const r = await cli(url, "budget", "set", "day", "0.03");
    expect(r.stdout).toMatch(/spent\s+\$0\.037 of \$0\.03 \(123 %\)$/m);
    expect(r.stdout).toMatch(/warns at\s+\$0\.024$/m);
    expect(r.stdout).toContain("2026-12-01T01:00:00Z  $0.037");
  });

  it("pause and resume POST and show the new state", async () => {
    const { url, calls } = await coordinator();
    await cli(url, "budget", "set", "week", "20");
    const paused = await cli(url, "budget", "pause");
    expect(paused.stdout).toMatch(/state\s+paused \(by an operator\)/);
    const resumed = await cli(url, "budget", "resume", "--json");
    expect(JSON.parse(resumed.stdout)).toMatchObject({ state: "warning" });
    expect(calls.slice(2)).toEqual([
      "POST /api/v1/products/shop/budget/pause",
      "POST /api/v1/products/shop/budget/resume",
    ]);
  });

  it("says a resume left the budget paused by exhaustion, and what lifts that pause", async () => {
    const { url } = await coordinator();
    await cli(url, "budget", "set", "week", "5"); // 8.5 spent
    await cli(url, "budget", "pause");
    const resumed = await cli(url, "budget", "resume");
    expect(resumed.stdout).toMatch(/still paused by exhaustion: raise the ceiling/);
    expect(resumed.stdout).toMatch(/state\s+paused \(by exhaustion\)/);
    expect(resumed.stdout).not.toMatch(/Budget resumed/);
  });

  // It went out and came back "✘ ERROR validation_failed: body: …", naming a field the user never typed.
  it("refuses a ceiling under the coordinator's $0.01 floor before sending, naming CEILING_USD (exit 2)", async () => {
    const { url, calls } = await coordinator();
    const r = await cli(url, "budget", "set", "day", "0.001");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: CEILING_USD must be a number of dollars from 0\.01 to 10000000/);
    expect(calls).toEqual([]);
  });

  it.each([
    ["an unknown period", ["year", "10"]],
    ["a ceiling that is not a number", ["day", "ten"]],
    ["an unknown --on-exhausted", ["day", "10", "--on-exhausted", "panic"]],
  ])("refuses %s as a usage error and sends nothing", async (_what, words) => {
    const { url, calls } = await coordinator();
    const r = await cli(url, "budget", "set", ...words);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: /);
    expect(calls).toEqual([]);
  });
});

describe("budget set: a negative or zero ceiling", () => {
  it("is a usage error saying the ceiling must be positive, not an unknown option, and sends nothing", async () => {
    const { url, calls } = await coordinator();
    // Not decimal numbers at all: "0x10" read as 16 and "1e400" as Infinity before.
    // Past the coordinator's own bounds (a cent to ten million) too: 0.001 went out and came back "body.ceilingUsd".
    for (const ceiling of ["-3", "0", "-0.5", "0x10", "1e400", "0.001", "10000000.5"]) {
      const r = await cli(url, "budget", "set", "day", ceiling);
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(
        `✘ ERROR usage: CEILING_USD must be a number of dollars from 0.01 to 10000000, e.g. 25 (got "${ceiling}") / see \`gigafactory budget set --help\``,
      );
    }
    // A blank one is an empty argument (an unset variable?), refused as such by the parser (cli/args-refusals).
    const blank = await cli(url, "budget", "set", "day", " ");
    expect(blank.code).toBe(2);
    expect(blank.stderr).toMatch(/^✘ ERROR usage: the CEILING_USD argument is empty/);
    expect(calls).toEqual([]);
  });
});

describe("budget state overrun", () => {
  it("says the budget runs over its ceiling by an operator's resume, not just a bare state word", () => {
    const b: BudgetView = {
      period: "day",
      ceilingUsd: 1,
      spentUsd: 1.23,
      state: "overrun",
      periodStart: START,
      periodEnd: START + 86_400_000,
      onExhausted: "pause",
      warnAtUsd: 0.8,
      exhausted: false,
      burndown: [],
    };
    expect(formatBudget(b)).toMatch(
      /state\s+overrun \(over the ceiling: an operator resumed dispatch until the period/,
    );
  });
});

describe("a budget state this CLI does not know", () => {
  it("is shown as it came, named like an inherited property too (it crashed as a CLI bug)", () => {
    for (const state of ["constructor", "toString", "__proto__", "frozen"]) {
      const b = {
        period: "day",
        ceilingUsd: 1,
        spentUsd: 0.5,
        state,
        periodStart: START,
        periodEnd: START + 86_400_000,
        onExhausted: "pause",
        warnAtUsd: 0.8,
        exhausted: false,
        burndown: [],
      } as unknown as BudgetView;
      expect(formatBudget(b)).toMatch(new RegExp(`state\\s+${state}\\n`));
    }
  });
});

describe("budget percentage", () => {
  const view = (spentUsd: number, ceilingUsd: number, state: BudgetView["state"]): BudgetView => ({
    period: "day",
    ceilingUsd,
    spentUsd,
    state,
    periodStart: START,
    periodEnd: START + 86_400_000,
    onExhausted: "pause",
    warnAtUsd: ceilingUsd * 0.8,
    exhausted: false,
    burndown: [],
  });

  it("never reads 100 % under the ceiling, nor 80 % under the warning line", () => {
    expect(formatBudget(view(24.9, 25, "warning"))).toMatch(/spent\s+\$24\.90 of \$25\.00 \(99 %\)/);
    expect(formatBudget(view(19.9, 25, "ok"))).toMatch(/spent\s+\$19\.90 of \$25\.00 \(79 %\)/);
    expect(formatBudget(view(20, 25, "warning"))).toMatch(/\(80 %\)/);
    expect(formatBudget(view(25, 25, "paused"))).toMatch(/\(100 %\)/);
  });

  it("is at least 80 exactly when the budget warns and at least 100 exactly when it reached the ceiling", () => {
    // Spend near either line (a few micro-dollars either side), where rounding decides, or anywhere up to twice it.
    const near = (ceiling: number) =>
      fc.oneof(
        fc.integer({ min: -3, max: 3 }).map((d) => Math.floor((ceiling * 4) / 5) + d),
        fc.integer({ min: -3, max: 3 }).map((d) => ceiling + d),
        fc.integer({ min: 0, max: 2 * ceiling }),
      );
    const case_ = fc
      .integer({ min: 10_000, max: 10_000_000_000_000 })
      .chain((ceiling) => near(ceiling).map((spent) => ({ ceiling, spent })));
    fc.assert(
      fc.property(case_, ({ ceiling, spent }) => {
        const b = { ceilingUsd: fromMicros(ceiling), spentUsd: fromMicros(spent) };
        expect(percentOfCeiling(b) >= 80).toBe(warns(b));
        expect(percentOfCeiling(b) >= 100).toBe(overCeiling(b));
      }),
    );
  });
});
