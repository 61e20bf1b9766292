// The request-header byte limits (worker/header-limits) hold at their edges on every kind of request the Worker
// answers, through its real entry: each bounded header at its limit passes on /health and one byte over is a 400
// problem+json naming it; a CORS preflight's Access-Control-Request-Method likewise; a job feed's WebSocket upgrade
// with an over-long Sec-WebSocket-Protocol is a clean 400 (no socket, no 5xx) while one at the limit opens; a header
// sent twice counts as the ", "-joined value the Worker reads; a non-ASCII byte counts as its UTF-8 bytes (é is 2).
// And the OpenAPI document a client reads says so: every limit in its `info.description`, each operation's 4XX
// pointing there (the document named none of them).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { HEADER_MAX_BYTES } from "../../src/worker/header-limits.ts";
import { ADMIN, P, submit } from "./client";
import { TestSocket } from "./sockets";

const worker = (exports as unknown as { default: Fetcher }).default;
const get = (path: string, headers: HeadersInit, method = "GET") =>
  worker.fetch(`http://gf.test${path}`, { method, headers });

/** `s` padded with `ch` to exactly `bytes` bytes of UTF-8 (`ch` one byte, or two for "é"). */
const padTo = (s: string, bytes: number, ch = "a") =>
  s + ch.repeat((bytes - new TextEncoder().encode(s).length) / new TextEncoder().encode(ch).length);

async function expectRefused(res: Response, header: string) {
  expect(res.status, header).toBe(400);
  expect(res.webSocket ?? null, header).toBeNull();
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const problem = (await res.json()) as Record<string, unknown>;
  expect(problem).toMatchObject({ code: "validation_failed", type: expect.any(String), title: expect.any(String) });
  expect(problem.detail).toContain(`${header}: at most ${HEADER_MAX_BYTES[header]} bytes of UTF-8`);
}

describe("request header limits at their edges", () => {
  it("/health: every bounded header passes at its limit and is refused one byte over", async () => {
    for (const [name, max] of Object.entries(HEADER_MAX_BYTES)) {
      // Content-Length and Content-Encoding on a GET: the runtime and the Worker read them only as text here.
      if (name === "Content-Length" || name === "Upgrade") continue; // a length the runtime parses; an upgrade
      const at = await get("/api/v1/health", { [name]: padTo("x", max) });
      expect(at.status, name).toBeLessThan(500);
      expect(at.status === 400 ? ((await at.json()) as { detail: string }).detail : "", name).not.toContain(name);
      await expectRefused(await get("/api/v1/health", { [name]: padTo("x", max + 1) }), name);
    }
    await expectRefused(await get("/api/v1/health", { upgrade: padTo("x", 257) }), "Upgrade");
  });

  it("a CORS preflight whose Access-Control-Request-Method is over its limit is refused", async () => {
    const headers = (method: string) => ({
      origin: "https://dash.example.com",
      "access-control-request-method": method,
    });
    const res = await get(`${P("hle-pre")}/jobs`, headers(padTo("POST", 257)), "OPTIONS");
    await expectRefused(res, "Access-Control-Request-Method");
  });

  it("a header sent twice counts as the joined value; a non-ASCII byte as its UTF-8 bytes", async () => {
    const twice = new Headers();
    twice.append("sec-websocket-protocol", padTo("a", 512));
    twice.append("sec-websocket-protocol", padTo("b", 512)); // 512 + ", " + 512 = 1026 bytes read
    await expectRefused(await get("/api/v1/health", twice), "Sec-WebSocket-Protocol");
    // 2 + 127 × 2 = 256 bytes at the limit (128 characters); one more é is 258.
    expect((await get("/api/v1/health", { "content-encoding": padTo("x-", 256, "é") })).status).toBe(200);
    await expectRefused(await get("/api/v1/health", { "content-encoding": padTo("x-", 258, "é") }), "Content-Encoding");
  });

  it("the OpenAPI document names every limit, and each operation's 4XX points to them", async () => {
    const doc = (await (await get("/api/v1/openapi.json", {})).json()) as {
      info: { description?: string };
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    for (const [name, max] of Object.entries(HEADER_MAX_BYTES))
      expect(doc.info.description).toContain(`\`${name}\` ${max}`);
    expect(doc.info.description).toContain("400 `validation_failed`");
    for (const ops of Object.values(doc.paths))
      for (const op of Object.values(ops)) expect(op.responses["4XX"]?.description).toContain("`info.description`");
  });

  it("a job feed's WebSocket upgrade over the Sec-WebSocket-Protocol limit is a clean 400; at it the socket opens", async () => {
    const job = await submit("hle-feed", { title: "watched" });
    const path = `${P("hle-feed")}/jobs/${job.id}/events/ws?after=0`;
    const open = (protocol: string) =>
      get(path, {
        authorization: `Bearer ${ADMIN}`,
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        "sec-websocket-protocol": protocol,
      });
    await expectRefused(await open(padTo("gf.", 1025)), "Sec-WebSocket-Protocol");
    const at = await open(padTo("gf.", 1024));
    expect(at.status).toBe(101);
    const socket = new TestSocket(at.webSocket as WebSocket);
    await socket.next("ready");
    socket.close();
  });
});
