// The shared HTTP client against a hostile or broken server's 2xx answers and redirects, on real local sockets: a 2xx
// body that never ends is read no further than the client's answer bound and its connection closed, even with no time
// bound (it was read into memory until the process died), and the CLI reports it as `bad_response` — also when it
// comes gzipped (fetch inflates it: the bound counts what it inflates to); a redirect of any kind — to another host
// or to the same one — is not followed, so the token, the body and the method never go anywhere the caller did not
// name (fetch followed it: a 301 turned a POST into a GET whose answer was taken as the write's); a body cut by the
// caller's own signal ends with that signal's reason, not as "cannot reach".
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { describe, expect, it, onTestFinished } from "vitest";
import { toCliError } from "../../src/cli/errors.ts";
import { MAX_ANSWER_BYTES } from "../../src/shared/http-answer-body.ts";
import { BadAnswerError, ConnectionError, GigafactoryClient } from "../../src/shared/http-client.ts";
import { drainedOrClosed } from "../support/http-drain.ts";

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): Promise<string> {
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => {
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const client = (url: string, more: { maxAnswerBytes?: number; responseTimeoutMs?: number } = {}) =>
  new GigafactoryClient({ url, token: "gf_p_secret-token-value", product: "p", ...more });

describe("a 2xx answer's body", () => {
  it("is bounded by 128 MiB unless the caller says otherwise", () => {
    expect(MAX_ANSWER_BYTES).toBe(128 * 1024 * 1024);
  });

  it("is read no further than the bound when it never ends, with no time bound, and its connection is closed", async () => {
    let closed!: () => void;
    const gone = new Promise<void>((r) => {
      closed = r;
    });
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.on("close", () => closed());
      const chunk = Buffer.alloc(64 * 1024, "[");
      while (!res.destroyed) {
        if (!res.write(chunk)) await drainedOrClosed(res);
      }
    });
    const err = await client(url, { maxAnswerBytes: 1024 * 1024, responseTimeoutMs: 0 })
      .listJobs({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadAnswerError);
    expect((err as Error).message).toContain("passed 1048576 bytes");
    expect(toCliError(err).code).toBe("bad_response");
    await gone; // the client went away instead of reading on
  });

  it("is bounded as it decompresses: a gzip bomb that never ends stops at the bound, its connection closed", async () => {
    const member = gzipSync(Buffer.alloc(4 * 1024 * 1024, " ")); // ~4 KiB on the wire, 4 MiB once inflated
    let closed!: () => void;
    const gone = new Promise<void>((r) => {
      closed = r;
    });
    const url = await serve(async (_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.on("close", () => closed());
      while (!res.destroyed) {
        if (!res.write(member)) await drainedOrClosed(res);
      }
    });
    const err = await client(url, { maxAnswerBytes: 8 * 1024 * 1024, responseTimeoutMs: 0 })
      .listJobs({})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadAnswerError);
    await gone;
  });

  it("is read whole when it fits, multi-byte characters and all", async () => {
    const doc = { jobs: [{ id: "job_1", title: "ünïcødé ✓" }] };
    const text = JSON.stringify(doc);
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(text);
    });
    expect(await client(url, { maxAnswerBytes: Buffer.byteLength(text) }).listJobs({})).toEqual(doc);
  });

  it("cut short by the caller's own signal ends with that signal's reason, not as a connection failure", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"id":'); // then nothing, until the caller gives up
    });
    let headersIn!: () => void;
    const started = new Promise<void>((r) => {
      headersIn = r;
    });
    const c = new GigafactoryClient({
      ...{ url, token: "t", product: "p" },
      fetch: async (input, init) => {
        const res = await globalThis.fetch(input, init);
        headersIn();
        return res;
      },
    });
    const ctl = new AbortController();
    const reason = new Error("the caller's deadline");
    const sent = c.send("GET", c.productUrl("/jobs"), { signal: ctl.signal });
    await started; // the answer has started: what the abort cuts is its body
    ctl.abort(reason);
    const err = await sent.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ConnectionError);
    expect(err).toBe(reason);
  });
});

describe("a redirect", () => {
  for (const status of [301, 302, 307, 308]) {
    it(`(${status}) to another host is not followed: the other host hears nothing`, async () => {
      const heard: string[] = [];
      const other = await serve((req, res) => {
        heard.push(`${req.method} ${req.url} ${req.headers.authorization ?? "-"}`);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ jobs: [] }));
      });
      const url = await serve((_req, res) => {
        res.writeHead(status, { location: `${other.replace("127.0.0.1", "localhost")}/elsewhere` });
        res.end();
      });
      for (const call of [() => client(url).listJobs({}), () => client(url).submit({ markdown: "# job" })]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BadAnswerError);
        expect((err as Error).message).toMatch(
          new RegExp(
            `: HTTP ${status} [A-Za-z ]+, a redirect to http://localhost:\\d+/elsewhere, not followed: the coordinator never redirects`,
          ),
        );
        expect(toCliError(err).code).toBe("bad_response");
      }
      expect(heard).toEqual([]);
    });
  }

  it("on the same host is not followed either: a POST never turns into a GET", async () => {
    const heard: string[] = [];
    const url = await serve((req, res) => {
      heard.push(`${req.method} ${req.url}`);
      if (req.url?.endsWith("/jobs") && req.method === "POST") {
        res.writeHead(301, { location: "/api/v1/products/p/jobs?list=1" });
        res.end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ jobs: [] }));
    });
    const err = await client(url)
      .submit({ markdown: "# job" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadAnswerError);
    expect(heard).toEqual(["POST /api/v1/products/p/jobs"]);
  });
});
