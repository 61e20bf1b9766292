// The shared HTTP client's reading of a refusal (a non-2xx answer) from a hostile or broken server on a real local
// socket: a 503 whose body stalls after its headers ends within the response bound as that 503 (it hung the CLI past
// --timeout, and a watch's reconnect for ever), also on the job feed's stream request; a 500 whose body never ends is
// read no further than MAX_ERROR_BODY_BYTES and its connection closed (it was read into memory whole), even with no
// time bound at all; a problem document that arrives whole still gives its code and detail.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { ApiError, GigafactoryClient } from "../../src/shared/http-client.ts";
import { drainedOrClosed } from "../support/http-drain.ts";

async function serve(handler: (res: ServerResponse) => void | Promise<void>): Promise<string> {
  const server = createServer((_req, res) => void handler(res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const client = (url: string, responseTimeoutMs: number) =>
  new GigafactoryClient({ url, token: "t", product: "p", responseTimeoutMs });

describe("a refusal's body", () => {
  it("ends as the 503 within the response bound when its body stalls, for a JSON call and the feed's stream", async () => {
    const url = await serve((res) => {
      res.writeHead(503, { "content-type": "application/problem+json" });
      res.write('{"code":"unavailable","det'); // and nothing more, ever
    });
    // 1 s: the bound also covers the answer's start, which the process's first fetch (undici loads lazily) took past
    // 200 ms on a loaded machine, failing as "no answer" before the body's stall was reached.
    for (const call of [() => client(url, 1000).listJobs({}), () => client(url, 1000).openEventStream("job_1")]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(503);
    }
  });

  it("is read no further than MAX_ERROR_BODY_BYTES when it never ends, and its connection is closed", async () => {
    const closed: Array<() => void> = [];
    const gone = new Promise<void>((r) => {
      closed.push(r);
    });
    const url = await serve(async (res) => {
      res.writeHead(500, { "content-type": "text/html" });
      res.on("close", () => closed[0]?.());
      const page = Buffer.alloc(64 * 1024, "<p>");
      while (!res.destroyed) {
        if (!res.write(page)) await drainedOrClosed(res);
      }
    });
    const err = await client(url, 0)
      .listJobs({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect({ status: (err as ApiError).status, code: (err as ApiError).code }).toEqual({
      status: 500,
      code: "http_500",
    });
    // Its size said as a bound, and no text: the page held nothing but markup.
    expect((err as ApiError).detail).toBe(
      "not a Gigafactory answer: HTTP 500 Internal Server Error, more than 1048576 bytes of text/html",
    );
    await gone; // the client went away instead of reading on
  });

  it("still gives a whole problem document's code and detail", async () => {
    const url = await serve((res) => {
      res.writeHead(403, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: "about:blank", title: "Forbidden", detail: "viewer token", code: "forbidden" }));
    });
    const err = (await client(url, 200)
      .listJobs({})
      .catch((e: unknown) => e)) as ApiError;
    expect({ status: err.status, code: err.code, detail: err.detail }).toEqual({
      status: 403,
      code: "forbidden",
      detail: "viewer token",
    });
  });
});
