// Every request header the Worker reads outside a route's own validator is bounded in bytes of UTF-8 (worker/
// header-limits): an Origin, Content-Type or Sec-WebSocket-* one byte over its limit is a 400 problem+json naming it
// (type, title, detail, code), never a 5xx, and nothing is done — no job made, no factory socket opened; at the
// limit the request goes through as before.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/worker/app.ts";
import { HEADER_MAX_BYTES } from "../../src/worker/header-limits.ts";
import { ADMIN, api, enroll, P } from "./client.ts";

const DASH = "https://dash.example.com";

/** The real app with DASHBOARD_ORIGINS set, so a configured origin's answer shows CORS was reached. */
async function withOrigins(path: string, init: RequestInit) {
  const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  return buildApp().fetch(new Request(`http://gf.test${path}`, init), { ...env, DASHBOARD_ORIGINS: DASH }, ctx);
}

/** `s` padded with `ch` to exactly `bytes` bytes of UTF-8 (`ch` one byte, or two for "é"). */
const padTo = (s: string, bytes: number, ch = "a") =>
  s + ch.repeat((bytes - s.length) / new TextEncoder().encode(ch).length);

async function expectRefused(res: Response, header: string) {
  expect(res.status, header).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const problem = (await res.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ code: "validation_failed", type: expect.any(String), title: expect.any(String) });
  expect(problem.detail).toContain(`${header}: at most ${HEADER_MAX_BYTES[header]} bytes of UTF-8`);
}

describe("request headers bounded in bytes", () => {
  it("refuses an Origin over 1 KiB before CORS reads it, and takes one at the limit", async () => {
    expect(HEADER_MAX_BYTES.Origin).toBe(1024);
    await api("GET", `${P("hl-origin")}/jobs`, { token: ADMIN });
    const get = (origin: string) =>
      withOrigins(`${P("hl-origin")}/jobs`, { headers: { origin, authorization: `Bearer ${ADMIN}` } });
    const at = await get(padTo("https://", 1024));
    expect(at.status).toBe(200);
    await at.arrayBuffer();
    await expectRefused(await get(padTo("https://", 1025)), "Origin");
    const preflight = await withOrigins(`${P("hl-origin")}/jobs`, {
      method: "OPTIONS",
      headers: { origin: padTo(DASH, 1025), "access-control-request-method": "POST" },
    });
    await expectRefused(preflight, "Origin");
    expect((await get(DASH)).headers.get("access-control-allow-origin")).toBe(DASH);
  });

  it("changes nothing when refused: a submit with an over-long Content-Type makes no job", async () => {
    await api("GET", `${P("hl-type")}/jobs`, { token: ADMIN });
    const type = padTo("application/json; x=", (HEADER_MAX_BYTES["Content-Type"] as number) + 1);
    const res = await withOrigins(`${P("hl-type")}/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": type },
      body: JSON.stringify({ manifest: { title: "x" } }),
    });
    await expectRefused(res, "Content-Type");
    const list = await api<{ jobs: unknown[] }>("GET", `${P("hl-type")}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toEqual([]);
  });

  it("refuses a factory socket whose Sec-WebSocket-Protocol is over its limit, before the coordinator sees it", async () => {
    const f = await enroll("hl-ws", "f");
    const connect = (protocol: string) =>
      withOrigins(`${P("hl-ws")}/factories/connect`, {
        headers: {
          authorization: `Bearer ${f.token}`,
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-protocol": protocol,
        },
      });
    const over = await connect(padTo("gf.", 1025));
    expect(over.webSocket).toBeNull(); // no socket accepted
    await expectRefused(over, "Sec-WebSocket-Protocol");
  });
});
