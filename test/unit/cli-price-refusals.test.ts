// A newcomer's `gigafactory settings set prices.…` the coordinator refuses, or that could never be a price, gets a fix
// they can type (pass 51): the issue's own `prices.codex.usdPerMillionIn=1.25` on an engine with no price is told to
// set both rates in one command, with the command — not "fix the value named above"; an engine name the table cannot
// hold (`кодекс`) is told what a name may be, and a table past its 64 engines how to make room; a rate of the wrong
// type gets a number to write, not `=…`, and any number out of its range (a rate, `breaker.failureThreshold=0`) the
// bound and a value the key takes; and a price key with no rate (`prices.codex.foo=1`, `prices.codex=5`) is refused
// before anything is sent (usage, exit 2; a misspelt rate told the rate meant), where it went out and came back
// "expected object, received number" under the engine "codex.foo". Every `settings set prices.…` the README shows
// prices each engine with both rates (or removes it), so a newcomer copying one is not refused (the README showed
// none). `settings set --help`, where each usage error sends the reader, says how keys are written — a price's two
// rates and `=null` among them (it said only "e.g. preemption=true …").
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAssignments } from "../../src/cli/commands/settings.ts";
import { priceFix } from "../../src/cli/price-refusal.ts";
import { applySettingsPatch, SettingsPatchSchema, withDefaults } from "../../src/core/settings.ts";
import { fromZod } from "../../src/worker/problem.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

/**
 * A stand-in coordinator with the real schema, merge and problem words (worker/problem fromZod): a refused merge
 * (RangeError) is its 400, as the Worker's.
 */
async function coordinator(): Promise<{ url: string; patches: unknown[] }> {
  let settings = withDefaults(undefined);
  const { url, bodies } = await stubCoordinator((req, reply) => {
    if (req.url !== "/api/v1/products/shop/settings") return reply.json(404, { code: "not_found" });
    if (req.method === "GET") return reply.json(200, settings);
    const refuse = (detail: string) =>
      reply.problem(400, { title: "Request failed validation", detail, code: "validation_failed" });
    const parsed = SettingsPatchSchema.safeParse(req.body);
    if (!parsed.success) return refuse(fromZod("body", parsed.error).message);
    try {
      settings = applySettingsPatch(settings, parsed.data);
    } catch (e) {
      return refuse((e as Error).message);
    }
    return reply.json(200, settings);
  });
  return { url, patches: bodies };
}

const set = (url: string, ...words: string[]) => captureCli(["settings", "set", ...words, ...connection(url, "shop")]);

describe("settings set prices: refusals a newcomer can act on", () => {
  it("one rate for an engine with no price: the fix is the command setting both", async () => {
    const { url } = await coordinator();
    const r = await set(url, "prices.codex.usdPerMillionIn=1.25");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^✘ ERROR validation_failed: prices\.codex has no usdPerMillionOut/);
    expect(r.stderr).toContain(
      "`gigafactory settings set prices.codex.usdPerMillionIn=1.25 prices.codex.usdPerMillionOut=N`",
    );
    expect(r.stderr).not.toMatch(/fix the value named above/);
    // The other rate alone, on an engine whose name has dots, names the rate it lacks and keeps the one given.
    const out = await set(url, "prices.gpt-4.1.usdPerMillionOut=8");
    expect(out.stderr).toContain(
      "`gigafactory settings set prices.gpt-4.1.usdPerMillionIn=N prices.gpt-4.1.usdPerMillionOut=8`",
    );
    const json = await captureCli([
      "settings",
      "set",
      "prices.codex.usdPerMillionIn=1.25",
      "--json",
      ...connection(url, "shop"),
    ]);
    expect(JSON.parse(json.stdout).error.fix).toMatch(/prices\.codex\.usdPerMillionOut=N/);
  });

  it("an engine name the table cannot hold: the fix says what a name may be", async () => {
    const { url } = await coordinator();
    const r = await set(url, "prices.кодекс.usdPerMillionIn=1", "prices.кодекс.usdPerMillionOut=2");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lowercase letters, digits/);
    expect(r.stderr).toMatch(/`\*` for the default engine/);
    expect(r.stderr).not.toMatch(/fix the value named above/);
    // An older coordinator's words for the same refusal (zod's, before worker/problem named the key) get the same fix.
    expect(priceFix("body.prices.кодекс: Invalid key in record", {})).toMatch(/lowercase letters, digits/);
  });

  it("a rate of the wrong type: a number to write, never `=…`", async () => {
    const { url } = await coordinator();
    for (const raw of ["abc", "NaN", "Infinity", "0x10", ""]) {
      const r = await set(url, `prices.codex.usdPerMillionIn=${raw}`, "prices.codex.usdPerMillionOut=10");
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("write e.g. `prices.codex.usdPerMillionIn=1.25`");
      expect(r.stderr).not.toContain("=…");
    }
  });

  it("a table past its 64 engines: the fix says how to make room", async () => {
    const { url } = await coordinator();
    const words = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => [
        `prices.e${from + i}.usdPerMillionIn=1`,
        `prices.e${from + i}.usdPerMillionOut=1`,
      ]).flat();
    expect((await set(url, ...words(1, 40))).code).toBe(0);
    const r = await set(url, ...words(41, 70));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/prices would hold 70 engines: at most 64 \/ /);
    expect(r.stderr).toContain("`gigafactory settings set prices.ENGINE=null`");
    expect(r.stderr).not.toMatch(/fix the value named above/);
  });

  it("a value out of its range: the fix names the bound and a value the key takes", async () => {
    const { url } = await coordinator();
    const low = await set(url, "breaker.failureThreshold=0");
    expect(low.code).toBe(1);
    expect(low.stderr).toContain(
      "`breaker.failureThreshold` takes a number of at least 1: write e.g. `breaker.failureThreshold=5` (its value now)",
    );
    const rate = await set(url, "prices.codex.usdPerMillionIn=-1", "prices.codex.usdPerMillionOut=1");
    expect(rate.stderr).toContain("`prices.codex.usdPerMillionIn` takes a number of at least 0");
    const high = await set(url, "prices.codex.usdPerMillionIn=20000", "prices.codex.usdPerMillionOut=1");
    expect(high.stderr).toContain("`prices.codex.usdPerMillionIn` takes a number of at most 10000");
    for (const r of [low, rate, high]) expect(r.stderr).not.toMatch(/fix the value named above/);
  });

  it.each([
    ["prices.codex.foo=1"],
    ["prices.codex=5"],
    ["prices.codex=true"],
    ["prices.codex.usdPerMillionin=1"],
  ])("%s is refused before anything is sent", async (word) => {
    const { url, patches } = await coordinator();
    const r = await set(url, word);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^✘ ERROR usage: .*usdPerMillionIn.*usdPerMillionOut.*=null/);
    expect(patches).toEqual([]);
  });

  it("a misspelt rate is told the rate probably meant", async () => {
    const { url, patches } = await coordinator();
    const r = await set(url, "prices.codex.usdPerMillionin=1");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("did you mean `prices.codex.usdPerMillionIn`?");
    expect(patches).toEqual([]);
  });

  it("removing a price and setting one still go out as typed", async () => {
    const { url, patches } = await coordinator();
    const r = await set(url, "prices.codex.usdPerMillionIn=1", "prices.codex.usdPerMillionOut=2");
    expect(r.code).toBe(0);
    expect((await set(url, "prices.codex=null")).code).toBe(0);
    expect(patches).toEqual([
      { prices: { codex: { usdPerMillionIn: 1, usdPerMillionOut: 2 } } },
      { prices: { codex: null } },
    ]);
  });
});

describe("the README's price commands", () => {
  it("each prices an engine with both rates, or removes it, as a new engine needs", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const commands = [...readme.matchAll(/gigafactory settings set (prices\.[^`\n#]*)/g)].map((m) => m[1]!.trim());
    let shown = 0;
    for (const command of commands) {
      const words = command.split(/\s+/).filter((w) => w.startsWith("prices.") && w.includes("="));
      if (!words.length) continue; // a generated row of the source map names the command, not a price
      shown += 1;
      const prices = parseAssignments(words).prices as Record<string, Record<string, number> | null>;
      for (const [engine, price] of Object.entries(prices)) {
        if (price === null) continue;
        expect(Object.keys(price).sort(), `${command}: ${engine}`).toEqual(["usdPerMillionIn", "usdPerMillionOut"]);
      }
    }
    expect(shown).toBeGreaterThan(0);
  });
});

describe("gigafactory settings set --help", () => {
  it("says how a key is written, a price's two rates and its removal included", async () => {
    const r = await captureCli(["settings", "set", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("prices.ENGINE.usdPerMillionIn=N prices.ENGINE.usdPerMillionOut=N");
    expect(r.stdout).toContain("prices.ENGINE=null");
    expect(r.stdout).toMatch(/gigafactory settings get/);
  });
});
