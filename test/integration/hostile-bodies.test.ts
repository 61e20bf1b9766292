// Every operation the OpenAPI document lists that takes a body — the policy endpoints of issues 8, 9, 11 and 12
// included — answers hostile bodies (not JSON, the wrong JSON type, unknown keys, wrong field types, an oversized
// string) with a 4xx problem+json carrying `type`, `title`, `detail` and `code`, never a 5xx, and the product's
// queue version, settings and budget are unchanged afterwards. Walking the document, not a hand-kept list, means a
// new endpoint is covered the day it is added.
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, submit } from "./client";

type Doc = { paths: Record<string, Record<string, { requestBody?: unknown }>> };

const HOSTILE: Array<{ what: string; text?: string; json?: unknown }> = [
  { what: "not JSON", text: "{nope" },
  { what: "an array", json: [1, 2, 3] },
  { what: "a number", json: 42 },
  { what: "an unknown key", json: { zzz_unknown: true } },
  { what: "wrong field types", json: { id: 7, text: 8, url: 9, period: 10, ceilingUsd: "x", effect: 11 } },
  { what: "an oversized string", json: { text: "x".repeat(300_000), reason: "x".repeat(300_000) } },
];

describe("hostile bodies on every operation with a body", () => {
  it("are refused with a 4xx problem+json and change nothing", async () => {
    const product = "hostile-bodies";
    const job = await submit(product, { title: "kept" });
    const f = await enroll(product, "f");
    const doc = (await api<Doc>("GET", "/api/v1/openapi.json")).body;
    const snapshot = async () => ({
      queue: (await api("GET", `${P(product)}/queue-state`, { token: ADMIN })).body,
      settings: (await api("GET", `${P(product)}/settings`, { token: ADMIN })).body,
      budget: (await api("GET", `${P(product)}/budget`, { token: ADMIN })).status,
    });
    const before = await snapshot();
    const ids: Record<string, string> = { productId: product, jobId: job.id, factoryId: f.factoryId };
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.startsWith("/api/v1/products/{productId}")) continue;
      const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(ids[name] ?? "x_unknown"));
      for (const [method, op] of Object.entries(ops)) {
        if (!op.requestBody) continue;
        for (const h of HOSTILE) {
          const r = await api<Record<string, unknown>>(method.toUpperCase(), path, {
            token: ADMIN,
            ...(h.text !== undefined ? { text: h.text, headers: { "content-type": "application/json" } } : {}),
            ...(h.json !== undefined ? { json: h.json } : {}),
          });
          const where = `${method.toUpperCase()} ${template} with ${h.what}`;
          expect(r.status, `${where}: ${JSON.stringify(r.body).slice(0, 200)}`).toBeGreaterThanOrEqual(400);
          expect(r.status, where).toBeLessThan(500);
          expect(r.headers.get("content-type"), where).toContain("application/problem+json");
          expect(Object.keys(r.body), where).toEqual(expect.arrayContaining(["type", "title", "detail", "code"]));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(await snapshot()).toEqual(before);
  });
});
