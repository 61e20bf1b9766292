// The shared REST client over real local sockets: problem+json becomes ApiError, only connection failures are
// retried (and only when asked), markdown submissions go up verbatim, and an https:// URL that gets no TLS handshake
// says to use http://.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  ApiError,
  type Backoff,
  backoffMs,
  ConnectionError,
  GigafactoryClient,
  productFromToken,
} from "../../src/shared/http-client.ts";

const FAST: Backoff = { maxAttempts: 3, minDelayMs: 1, maxDelayMs: 2, factor: 2, jitter: 0 };

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += d;
    });
    req.on("end", () => handler(req, body, res));
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe("GigafactoryClient", () => {
  it("turns a problem+json answer into an ApiError carrying status, code, title, detail and body", async () => {
    const problem = {
      type: "x",
      title: "Illegal stage transition",
      status: 409,
      detail: "job j cannot move",
      code: "illegal_transition",
      from: "shipped",
    };
    const url = await serve((_req, _body, res) => {
      res.writeHead(409, { "content-type": "application/problem+json" });
      res.end(JSON.stringify(problem));
    });
    const err = await new GigafactoryClient({ url, token: "t", product: "p" }).action("j", "cancel").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 409,
      code: "illegal_transition",
      title: problem.title,
      detail: problem.detail,
      body: problem,
    });
  });

  it("names a non-problem error answer http_<status> and says what it was in the detail", async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<h1>Bad gateway</h1>");
    });
    const err = await new GigafactoryClient({ url, token: "t", product: "p" }).queueState().catch((e) => e);
    expect(err).toMatchObject({
      status: 502,
      code: "http_502",
      detail: 'not a Gigafactory answer: HTTP 502 Bad Gateway, 20 bytes of text/html: "Bad gateway"',
      body: "<h1>Bad gateway</h1>",
    });
  });

  it("sends the bearer token to the product's path and markdown verbatim as text/markdown, reading the replay header", async () => {
    const seen: Array<{ url?: string; auth?: string; type?: string; body: string }> = [];
    const url = await serve((req, body, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization, type: req.headers["content-type"], body });
      res.writeHead(200, { "content-type": "application/json", "idempotent-replayed": "true" });
      res.end(JSON.stringify({ id: "job_1", stage: "queued" }));
    });
    const markdown = "---\ntitle: T\n---\n# body\r\n";
    const out = await new GigafactoryClient({ url, token: "gf_p_x", product: "p" }).submit({ markdown });
    expect(out.replayed).toBe(true);
    expect(out.job.id).toBe("job_1");
    expect(seen).toEqual([
      { url: "/api/v1/products/p/jobs", auth: "Bearer gf_p_x", type: "text/markdown; charset=utf-8", body: markdown },
    ]);
  });

  it("does not retry an HTTP error answer, even with retries configured", async () => {
    let calls = 0;
    const url = await serve((_req, _body, res) => {
      calls++;
      res.writeHead(503);
      res.end();
    });
    const c = new GigafactoryClient({ url, token: "t", product: "p", retry: FAST });
    expect(await c.queueState().catch((e) => e)).toBeInstanceOf(ApiError);
    expect(calls).toBe(1);
  });

  it("retries a refused connection up to maxAttempts when asked, and not at all otherwise", async () => {
    const url = await serve(() => {});
    await new Promise<void>((r) => server!.close(() => r())); // the port is now closed: connections are refused
    server = undefined;
    const once = await new GigafactoryClient({ url, token: "t", product: "p" }).queueState().catch((e) => e);
    expect(once).toBeInstanceOf(ConnectionError);
    expect((once as ConnectionError).attempts).toBe(1);
    const retried = await new GigafactoryClient({ url, token: "t", product: "p", retry: FAST })
      .queueState()
      .catch((e) => e);
    expect((retried as ConnectionError).attempts).toBe(3);
  });

  // https:// to a plain-HTTP coordinator (as `npm start` serves) used to read as OpenSSL's internals
  // ("…:tls_validate_record_header:wrong version number:../deps/openssl/…") or, against workerd, as a 10 s
  // "Connect Timeout Error": neither said to use http://.
  it("says to use http:// when an https:// URL gets no TLS handshake", async () => {
    const url = await serve((_req, _body, res) => res.end("{}"));
    const https = url.replace(/^http:/, "https:");
    const err = await new GigafactoryClient({ url: https, token: "t", product: "p" }).queueState().catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain(`Use ${url.replace(/\/$/, "")}`);
    expect(err.message).not.toMatch(/SSL routines|deps\/openssl/);

    const timeout = Object.assign(new Error("Connect Timeout Error"), { code: "UND_ERR_CONNECT_TIMEOUT" });
    const viaWorkerd = new ConnectionError(
      "https://127.0.0.1:8787/api/v1/x",
      new TypeError("fetch failed", { cause: timeout }),
      1,
    );
    expect(viaWorkerd.message).toContain("use http://127.0.0.1:8787");
    // Plain http:// keeps undici's own words.
    const plain = new ConnectionError(
      "http://127.0.0.1:8787/api/v1/x",
      new TypeError("fetch failed", { cause: timeout }),
      1,
    );
    expect(plain.message).toBe("cannot reach http://127.0.0.1:8787/api/v1/x: Connect Timeout Error");
  });

  it("answers null for a claim with no work (204)", async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(204);
      res.end();
    });
    expect(await new GigafactoryClient({ url, token: "t", product: "p" }).claim()).toBeNull();
  });
});

describe("backoffMs", () => {
  const b: Backoff = { maxAttempts: 10, minDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5 };

  it("grows by the factor from the minimum and is capped at the maximum", () => {
    expect([0, 1, 2, 3, 4, 9].map((a) => backoffMs(a, { ...b, jitter: 0 }))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("spreads the delay by ± jitter", () => {
    expect(backoffMs(1, b, () => 0)).toBe(100);
    expect(backoffMs(1, b, () => 1)).toBe(300);
  });
});

describe("productFromToken", () => {
  it("reads the product of a gf_ token (whose secret may contain _) and nothing from other tokens", () => {
    expect(productFromToken(`gf_my-product_${"a_b".repeat(14)}c`)).toBe("my-product");
    expect(productFromToken("ADMIN")).toBeUndefined();
    expect(productFromToken(`gfe_p_${"a".repeat(43)}`)).toBeUndefined();
  });
});
