// What a submit creates, and where: known products only, once per idempotency key (guarantee 6). Products exist only
// once the admin creates them (an unknown one is 404 and nothing is created); manifests as JSON or markdown; deps
// gate a job.

import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, rawApi, submit } from "./client.ts";

// Products exist only once the admin creates them: an unknown product is 404 (nothing is created), POST /api/v1/products creates one, idempotently.

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

// Guarantee 6 — idempotent submission; manifests as JSON or markdown; deps gate a job.

describe("submission", () => {
  it("returns the same job for a repeated idempotencyKey, also when submitted concurrently", async () => {
    const product = "submit-idem";
    const manifest = { title: "once", idempotencyKey: "TRK-1" };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        api<{ id: string }>("POST", `${P(product)}/jobs`, { token: ADMIN, json: { manifest } }),
      ),
    );
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(9);
    const list = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toHaveLength(1);
  });

  it("honours the Idempotency-Key header", async () => {
    const product = "submit-idem-header";
    const send = () =>
      api<{ id: string }>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "h" } },
        headers: { "idempotency-key": "k-1" },
      });
    const a = await send();
    const b = await send();
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
  });

  it("accepts a text/markdown manifest and keeps the body verbatim", async () => {
    const product = "submit-md";
    const text = "---\ntitle: From markdown\npriority: high\nrequires: [os:linux]\n---\n# Task\r\n\nDo it.  \n";
    const r = await api<{ title: string; priority: string; bodyMd: string; requires: string[] }>(
      "POST",
      `${P(product)}/jobs`,
      { token: ADMIN, text, headers: { "content-type": "text/markdown" } },
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ title: "From markdown", priority: "high", requires: ["os:linux"] });
    expect(r.body.bodyMd).toBe("# Task\r\n\nDo it.  \n");
  });

  it("reports a bad manifest as 400 invalid_manifest naming the problem", async () => {
    const product = "submit-bad";
    const r = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: "---\ntitle: x\npriority: urgent\n---\n",
      headers: { "content-type": "text/markdown" },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "invalid_manifest" });
    expect(JSON.stringify(r.body)).toContain("priority");
  });

  it("blocks a job until its dependency ships, then queues it", async () => {
    const product = "submit-deps";
    const f = await enroll(product, "f");
    const dep = await submit(product, { title: "first" });
    const child = await submit(product, { title: "second", deps: [dep.id] });
    expect(child.stage).toBe("blocked");
    const c = await claim(product, f.token);
    expect(c.body.job.id).toBe(dep.id);
    const path = `${P(product)}/jobs/${dep.id}`;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "testing" } });
    expect((await getJob(product, child.id)).stage).toBe("blocked");
    await api("POST", `${path}/actions/ship`, { token: ADMIN });
    expect((await getJob(product, child.id)).stage).toBe("queued");
  });

  it("refuses deps that do not exist in the product", async () => {
    const r = await api("POST", `${P("submit-missing-dep")}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "x", deps: ["job_nope"] } },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed" });
  });

  it("pages through jobs with a cursor, newest first, without repeats", async () => {
    const product = "submit-page";
    for (let i = 0; i < 7; i++) await submit(product, { title: `j${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r: { body: { jobs: Array<{ title: string }>; nextCursor?: string } } = await api(
        "GET",
        `${P(product)}/jobs?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        { token: ADMIN },
      );
      seen.push(...r.body.jobs.map((j) => j.title));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["j6", "j5", "j4", "j3", "j2", "j1", "j0"]);
  });
});
