// Proves a JSON body holding an own `__proto__` key at any depth is refused 400 problem+json `validation_failed`,
// naming the path, and changes nothing — where zod alone dropped the key and answered 200 "nothing changed".
import { describe, expect, it } from "vitest";
import type { ProductSettings } from "../../src/core/settings.ts";
import { ADMIN, api, P } from "./client";

type Answer = ProductSettings & { code?: string; type?: string; title?: string; detail?: string };

describe("own __proto__ keys in JSON bodies", () => {
  it.each([
    ["settings weights", '{"weights": {"__proto__": 3}}', "weights.__proto__"],
    ["a price table", '{"prices": {"__proto__": {"usdPerMillionIn": 1, "usdPerMillionOut": 1}}}', "prices.__proto__"],
    ["the top level", '{"__proto__": {"weights": {"a": 1}}}', "__proto__"],
  ])("refuses %s with 400 problem+json and changes nothing", async (_what, text, path) => {
    const product = "proto-key-bodies";
    const before = (await api<ProductSettings>("GET", `${P(product)}/settings`, { token: ADMIN })).body;
    const r = await api<Answer>("PATCH", `${P(product)}/settings`, { token: ADMIN, json: JSON.parse(text) });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "validation_failed" });
    expect(r.body.detail).toContain(path);
    expect(r.body.title && r.body.type).toBeTruthy();
    expect((await api<ProductSettings>("GET", `${P(product)}/settings`, { token: ADMIN })).body).toEqual(before);
  });
});
