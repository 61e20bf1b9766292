// The price table (settings `prices`, core/prices) through the settings write path in workerd: an operator's PATCH
// sets an engine's rates (the default engine `*` too), merges a later change rate by rate, removes a price with null,
// is audited `settings.update` with the dotted keys that changed, and GET answers the table; a bad table — a negative,
// too large or non-numeric rate, an engine key no engine can have, an unknown field, a new engine given one rate of
// two, more engines than the bound — is refused 400 problem+json `validation_failed` and changes nothing; a refused
// engine key's detail names the key and says what an engine name may be.
import { describe, expect, it } from "vitest";
import { MAX_PRICED_ENGINES, MAX_USD_PER_MILLION } from "../../src/core/prices.ts";
import type { ProductSettings } from "../../src/core/settings.ts";
import { ADMIN, api, P, until } from "./client";

const read = async (product: string) =>
  (await api<ProductSettings>("GET", `${P(product)}/settings`, { token: ADMIN })).body;
const patch = (product: string, json: unknown) =>
  api<ProductSettings & { code?: string; type?: string; title?: string; detail?: string }>(
    "PATCH",
    `${P(product)}/settings`,
    { token: ADMIN, json },
  );
const codex = { usdPerMillionIn: 1.25, usdPerMillionOut: 10 };

describe("settings prices", () => {
  it("sets, merges and removes an engine's price; audited; GET answers it", async () => {
    const product = "settings-prices";
    expect((await read(product)).prices).toEqual({});
    expect(
      (await patch(product, { prices: { codex, "*": { usdPerMillionIn: 3, usdPerMillionOut: 15 } } })).status,
    ).toBe(200);
    const merged = await patch(product, { prices: { codex: { usdPerMillionOut: 12 } } });
    expect(merged.body.prices).toEqual({
      codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 12 },
      "*": { usdPerMillionIn: 3, usdPerMillionOut: 15 },
    });
    expect((await read(product)).prices).toEqual(merged.body.prices);
    expect((await patch(product, { prices: { "*": null } })).body.prices).toEqual({
      codex: { usdPerMillionIn: 1.25, usdPerMillionOut: 12 },
    });
    type Audit = { items: Array<{ action: string; detail: { changed: string[] } }> };
    const audit = await until(
      () => api<Audit>("GET", `${P(product)}/history?kind=audit`, { token: ADMIN }),
      (a) => (a.body.items ?? []).filter((i) => i.action === "settings.update").length >= 3,
    );
    const changed = audit.body.items.filter((i) => i.action === "settings.update").map((i) => i.detail.changed);
    expect(changed).toContainEqual(["prices.codex.usdPerMillionOut"]);
    expect(changed).toContainEqual(["prices.*.usdPerMillionIn", "prices.*.usdPerMillionOut"]);
  });

  it("an engine key no engine has is told the engine-name rule, the key named — not zod's 'Invalid key in record'", async () => {
    const r = await patch("settings-prices-key", { prices: { кодекс: codex } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: "validation_failed",
      detail: 'body.prices: key "кодекс": must be an engine name like codex, or * (the default engine)',
    });
    expect((await read("settings-prices-key")).prices).toEqual({});
  });

  const many = Object.fromEntries(Array.from({ length: MAX_PRICED_ENGINES + 1 }, (_, i) => [`e${i}`, codex]));
  it.each([
    ["a negative rate", { codex: { usdPerMillionIn: -1, usdPerMillionOut: 1 } }],
    ["a rate above the bound", { codex: { usdPerMillionIn: 1, usdPerMillionOut: MAX_USD_PER_MILLION + 1 } }],
    ["a rate as text", { codex: { usdPerMillionIn: "1", usdPerMillionOut: 1 } }],
    ["an engine key no engine has", { Codex: codex }],
    ["__proto__ as an engine", JSON.parse('{"__proto__": {"usdPerMillionIn": 1, "usdPerMillionOut": 1}}')],
    ["an unknown field", { codex: { ...codex, usdPerMillionCached: 1 } }],
    ["a new engine with one rate of two (the merge's RangeError)", { claude: { usdPerMillionIn: 3 } }],
    ["more engines than the bound", many],
    ["a table that is not an object", [codex]],
  ])("refuses %s with 400 problem+json and changes nothing", async (_what, prices) => {
    const product = "settings-prices-bad";
    const r = await patch(product, { prices });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "validation_failed" });
    expect(r.body.title && r.body.detail && r.body.type).toBeTruthy();
    expect((await read(product)).prices).toEqual({});
  });
});
