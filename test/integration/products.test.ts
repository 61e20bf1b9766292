// Products exist only once the admin creates them: an unknown product is 404 (nothing is created), POST /api/v1/products creates one, idempotently.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, rawApi } from "./client.ts";

async function rowCount(id: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM products WHERE id = ?").bind(id).first<{ n: number }>();
  return row?.n ?? 0;
}

describe("products", () => {
  it("answers the admin 404 for a product that was never created, on every kind of route, and creates nothing", async () => {
    const typo = "prod-typo";
    for (const [method, path, json] of [
      ["GET", `${P(typo)}/jobs`, undefined],
      ["POST", `${P(typo)}/jobs`, { manifest: { title: "x" } }],
      ["POST", `${P(typo)}/factories/enroll`, { name: "f", capabilities: [], seats: 1 }],
      ["POST", `${P(typo)}/tokens`, { role: "viewer", name: "v" }],
      ["GET", `${P(typo)}/queue-state`, undefined],
      ["GET", `${P(typo)}/jobs/job_x/events/stream`, undefined],
    ] as const) {
      const r = await rawApi(method, path, { token: ADMIN, ...(json ? { json } : {}) });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body).toMatchObject({ code: "not_found", what: "product", id: typo });
    }
    expect(await rowCount(typo)).toBe(0);
    const list = await rawApi<{ products: Array<{ id: string }> }>("GET", "/api/v1/products", { token: ADMIN });
    expect(list.body.products.map((p) => p.id)).not.toContain(typo);
  });

  it("creates a product with POST /api/v1/products (201), then 200 with the same product; lists it", async () => {
    const created = await rawApi<{ id: string; createdAt: number }>("POST", "/api/v1/products", {
      token: ADMIN,
      json: { id: "prod-new" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: "prod-new", createdAt: expect.any(Number) });
    const again = await rawApi<{ id: string; createdAt: number }>("POST", "/api/v1/products", {
      token: ADMIN,
      json: { id: "prod-new" },
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    expect((await rawApi("GET", `${P("prod-new")}/jobs`, { token: ADMIN })).status).toBe(200);
    const list = await rawApi<{ products: Array<{ id: string }> }>("GET", "/api/v1/products", { token: ADMIN });
    expect(list.body.products.map((p) => p.id)).toContain("prod-new");
  });

  it("lets only the admin create or list products, and validates the id", async () => {
    const f = await enroll("prod-owner", "f");
    const byFactory = await rawApi("POST", "/api/v1/products", { token: f.token, json: { id: "prod-by-factory" } });
    expect(byFactory.status).toBe(403);
    expect((await rawApi("GET", "/api/v1/products", { token: f.token })).status).toBe(403);
    expect((await rawApi("POST", "/api/v1/products", { token: "nope", json: { id: "x" } })).status).toBe(401);
    expect((await rawApi("POST", "/api/v1/products", { json: { id: "x" } })).status).toBe(401);
    for (const id of ["UPPER", "-dash", "a_b", "x".repeat(64), 7]) {
      const r = await rawApi("POST", "/api/v1/products", { token: ADMIN, json: { id } });
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "validation_failed" });
    }
    expect(await rowCount("prod-by-factory")).toBe(0);
  });

  it("still refuses a product token of an unknown product with 401, never 404", async () => {
    const r = await api("GET", `${P("prod-ghost")}/jobs`, { token: `gf_prod-ghost_${"A".repeat(43)}` });
    expect(r.status).toBe(401);
    expect(await rowCount("prod-ghost")).toBe(0);
  });
});
