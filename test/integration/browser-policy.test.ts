// Browser policy: every API response — JSON, problem+json, SSE, artifact bytes — carries a deny-all CSP and nosniff; CORS allows exactly the configured dashboard origins and no other.
// A configured origin's preflight allows every operation the OpenAPI document declares, with its documented headers.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/worker/app.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { ADMIN, api, claim, enroll, P, submit } from "./client.ts";

const DASH = "https://dash.example.com";

function expectSecurityHeaders(h: Headers, what: string) {
  expect(h.get("content-security-policy"), what).toContain("default-src 'none'");
  expect(h.get("content-security-policy"), what).toContain("frame-ancestors 'none'");
  expect(h.get("x-content-type-options"), what).toBe("nosniff");
}

/** The real app over the real bindings, with DASHBOARD_ORIGINS set as a deployment would. */
async function withOrigins(path: string, init: RequestInit, origins = `${DASH}, https://other-dash.example.com/`) {
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  return buildApp().fetch(new Request(`http://gf.test${path}`, init), { ...env, DASHBOARD_ORIGINS: origins }, ctx);
}

describe("browser policy", () => {
  it("puts CSP and nosniff on JSON, problem, OpenAPI, SSE and artifact responses", async () => {
    const product = "bp-headers";
    const f = await enroll(product, "f");
    const job = await submit(product, { title: "x" });
    const c = await claim(product, f.token);
    const fetcher = (exports as unknown as { default: Fetcher }).default;
    const up = await fetcher.fetch(
      `http://gf.test${P(product)}/jobs/${job.id}/artifacts?name=page.html&leaseEpoch=${c.body.lease.leaseEpoch}`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${f.token}`, "content-type": "text/html", "content-length": "25" },
        body: "<script>alert(1)</script>",
      },
    );
    expect(up.status).toBe(201);
    expectSecurityHeaders(up.headers, "upload");
    await up.arrayBuffer();
    expectSecurityHeaders((await api("GET", `${P(product)}/jobs`, { token: ADMIN })).headers, "json");
    expectSecurityHeaders((await api("GET", `${P(product)}/jobs`, { token: "nope" })).headers, "401 problem");
    expectSecurityHeaders((await api("GET", "/api/v1/nowhere")).headers, "404");
    expectSecurityHeaders((await api("GET", "/api/v1/openapi.json")).headers, "openapi");
    expectSecurityHeaders((await api("GET", "/api/v1/health")).headers, "health");
    const art = await fetcher.fetch(`http://gf.test${P(product)}/jobs/${job.id}/artifacts/page.html`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expectSecurityHeaders(art.headers, "artifact");
    // The artifact's own `sandbox` survives the API's policy: rendered anyway, it runs in an opaque origin.
    expect(art.headers.get("content-security-policy")).toMatch(/(^|;\s*)sandbox(\s*;|$)/);
    await art.arrayBuffer();
    const sse = await fetcher.fetch(`http://gf.test${P(product)}/jobs/${job.id}/events/stream`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    expectSecurityHeaders(sse.headers, "sse");
    await sse.body?.cancel();
  });

  it("answers a preflight from a configured origin, and refuses one from any other", async () => {
    await api("GET", `${P("bp-cors")}/jobs`, { token: ADMIN }); // creates the product
    const preflight = (origin: string) =>
      withOrigins(`${P("bp-cors")}/jobs`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
    const ok = await preflight(DASH);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(DASH);
    expect(ok.headers.get("access-control-allow-headers")).toContain("authorization");
    expect((await preflight("https://other-dash.example.com")).headers.get("access-control-allow-origin")).toBe(
      "https://other-dash.example.com",
    );
    for (const evil of [
      "https://evil.example.com",
      "https://dash.example.com.evil.net",
      "http://dash.example.com",
      "null",
    ]) {
      const r = await preflight(evil);
      expect(r.status, evil).toBe(403);
      expect(r.headers.get("access-control-allow-origin"), evil).toBeNull();
      // A refusal like every other: problem+json with its code (it was an empty body).
      expect(r.headers.get("content-type"), evil).toContain("application/problem+json");
      expect(JSON.parse(await r.text())).toMatchObject({ code: "forbidden", type: expect.any(String) });
    }
  });

  it("lets a configured origin send every operation of the OpenAPI document, with every header it documents", async () => {
    // A dashboard on its own origin (Pages) reaches the API only through these preflights: a method or a documented
    // request header left out works same-origin (every test, the dashboard the Worker serves) and fails only deployed
    // apart — PUT …/budget and PUT …/webhook, and If-None-Match on an artifact, were refused so.
    await api("GET", `${P("bp-cors3")}/jobs`, { token: ADMIN });
    const paths = (openApiDocument() as { paths: Record<string, Record<string, { parameters?: unknown[] }>> }).paths;
    const refused: string[] = [];
    for (const [route, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const headers = (op.parameters ?? [])
          .map((p) => p as { in?: string; name?: string })
          .filter((p) => p.in === "header" && p.name)
          .map((p) => (p.name as string).toLowerCase());
        const asked = ["authorization", "content-type", ...headers];
        const path = route.replace(/\{productId\}/g, "bp-cors3").replace(/\{[^}]+\}/g, "x");
        const r = await withOrigins(path, {
          method: "OPTIONS",
          headers: {
            origin: DASH,
            "access-control-request-method": method.toUpperCase(),
            "access-control-request-headers": asked.join(", "),
          },
        });
        const methods = (r.headers.get("access-control-allow-methods") ?? "").split(/,\s*/);
        const allowed = (r.headers.get("access-control-allow-headers") ?? "").split(/,\s*/);
        const missing = [method.toUpperCase(), ...asked].filter((x, i) => !(i === 0 ? methods : allowed).includes(x));
        if (r.status !== 204 || missing.length > 0)
          refused.push(`${method.toUpperCase()} ${route}: ${r.status} ${missing}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it("marks real responses readable by a configured origin only; with no setting, by none", async () => {
    await api("GET", `${P("bp-cors2")}/jobs`, { token: ADMIN });
    const get = (origin: string, origins?: string) =>
      withOrigins(`${P("bp-cors2")}/jobs`, { headers: { origin, authorization: `Bearer ${ADMIN}` } }, origins);
    const ok = await get(DASH);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(DASH);
    expect(ok.headers.get("vary")).toContain("Origin");
    expect((await get("https://evil.example.com")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await get(DASH, "")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await get(DASH, "*")).headers.get("access-control-allow-origin")).toBeNull();
    // The deployed default (wrangler.toml) allows no other origin.
    const deployed = await api("GET", `${P("bp-cors2")}/jobs`, { token: ADMIN, headers: { origin: DASH } });
    expect(deployed.headers.get("access-control-allow-origin")).toBeNull();
  });
});
