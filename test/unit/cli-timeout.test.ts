// A coordinator that takes the connection and never answers must not hang the CLI: each answer has --timeout /
// GIGAFACTORY_TIMEOUT seconds (default 30, 0 = no limit) to START, then `✘ ERROR timeout` and exit 1 (a typed
// ResponseTimeoutError in the transport); a JSON body that stalls after its start is bounded as long again, while a
// stream (a feed, a download) that started in time is never cut; and `watch` reopens a feed gone silent (resuming
// from the last event id) instead of hanging on it.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer, type Socket } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { DEFAULT_TIMEOUT_SECONDS, responseTimeoutMs } from "../../src/cli/config.ts";
import { followJobFeed } from "../../src/cli/job-feed.ts";
import { type Backoff, GigafactoryClient, ResponseTimeoutError } from "../../src/shared/http-client.ts";
import { captureCli, connection } from "../support/cli-harness.ts";

/** A TCP server that accepts every connection, reads the requests (counted), and never writes a byte. */
async function silentServer(): Promise<{ url: string; requests: () => number }> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("data", (d) => {
      requests += (d.toString("latin1").match(/^[A-Z]+ \/\S* HTTP\/1\.1\r$/gm) ?? []).length;
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests };
}

async function httpServer(handler: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<string> {
  let n = 0;
  const server = createHttpServer((req, res) => handler(req, res, n++));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const FAST: Backoff = { maxAttempts: 5, minDelayMs: 1, maxDelayMs: 5, factor: 2, jitter: 0 };
const frame = (seq: number, to?: string): string => {
  const e = to
    ? { seq, type: "job.stage", at: seq, data: { from: "testing", to } }
    : { seq, type: "log", at: seq, data: { line: `line ${seq}` } };
  return `id: ${seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
};

describe("the CLI against a coordinator that never answers", () => {
  it("--timeout ends the wait with ✘ ERROR timeout, exit 1, nothing on stdout but --json's error (reads, writes)", async () => {
    const { url, requests } = await silentServer();
    const argvs = [["jobs"], ["jobs", "--json"], ["cancel", "job_1"], ["settings"]];
    for (const [i, argv] of argvs.entries()) {
      const r = await captureCli([...argv, ...connection(url, "shop"), "--timeout", "0.2"]);
      const stdout = argv.includes("--json") ? JSON.parse(r.stdout).error.code : r.stdout;
      expect({ argv, code: r.code, stdout }).toEqual({
        argv,
        code: 1,
        stdout: argv.includes("--json") ? "timeout" : "",
      });
      expect(r.stderr).toMatch(/^✘ ERROR timeout: no answer from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/.+ within 0\.2 s/);
      expect(r.stderr).toContain("check that the coordinator is up");
      expect(r.stderr).toContain("--timeout SECONDS / GIGAFACTORY_TIMEOUT (0 = no limit)");
      // One request per command: never retried, since the request may have reached the server. Polled: the
      // in-process server may count the request's bytes after the client's 0.2 s have passed on a loaded machine.
      await expect.poll(requests, { timeout: 10_000 }).toBe(i + 1);
      // A write may have been applied before the bound passed: its fix says to look before running it again.
      if (argv[0] === "cancel") expect(r.stderr).toContain("/ the POST may still have been applied: check");
      else expect(r.stderr).not.toContain("may still have been applied");
    }
  });

  it("GIGAFACTORY_TIMEOUT bounds it when no flag is given, and the flag wins over it", async () => {
    const { url } = await silentServer();
    const env = await captureCli(["jobs", ...connection(url, "shop")], { env: { GIGAFACTORY_TIMEOUT: "0.2" } });
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/^✘ ERROR timeout: .* within 0\.2 s/);
    const flag = await captureCli(["jobs", ...connection(url, "shop"), "--timeout", "0.1"], {
      env: { GIGAFACTORY_TIMEOUT: "abc" },
    });
    expect(flag.stderr).toMatch(/^✘ ERROR timeout: .* within 0\.1 s/);
  });

  it("a timeout that is not a number of seconds is a usage error (exit 2) naming where it came from", async () => {
    const { url } = await silentServer();
    const flag = await captureCli(["jobs", ...connection(url, "shop"), "--timeout", "-1"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^✘ ERROR usage: --timeout must be a number of seconds from 0 to 86400/);
    const env = await captureCli(["jobs", ...connection(url, "shop")], { env: { GIGAFACTORY_TIMEOUT: "30s" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/^✘ ERROR usage: GIGAFACTORY_TIMEOUT must be a number of seconds/);
  });

  it("defaults to 30 s; 0 means no limit; an empty variable is unset", () => {
    expect(DEFAULT_TIMEOUT_SECONDS).toBe(30);
    expect(responseTimeoutMs(undefined, {})).toBe(30_000);
    expect(responseTimeoutMs(undefined, { GIGAFACTORY_TIMEOUT: "" })).toBe(30_000);
    expect(responseTimeoutMs("0", { GIGAFACTORY_TIMEOUT: "5" })).toBe(0);
    expect(responseTimeoutMs(undefined, { GIGAFACTORY_TIMEOUT: "2.5" })).toBe(2_500);
    expect(responseTimeoutMs(".5", {})).toBe(500);
    // A positive bound never rounds to 0, which would mean no limit at all.
    expect(responseTimeoutMs("0.0004", {})).toBe(1);
  });
});

describe("the transport's response-start bound", () => {
  it("rejects with a typed ResponseTimeoutError carrying the URL and the bound", async () => {
    const { url } = await silentServer();
    const client = new GigafactoryClient({ url, token: "t", product: "p", responseTimeoutMs: 100 });
    const err = await client.listJobs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTimeoutError);
    expect(err).toMatchObject({ timeoutMs: 100, url: `${url}/api/v1/products/p/jobs` });
  });

  it("bounds a JSON answer's body too: headers then a stalled body is a ResponseTimeoutError, and ✘ ERROR timeout", async () => {
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"jobs": ['); // and never the rest
    });
    const client = new GigafactoryClient({ url, token: "t", product: "p", responseTimeoutMs: 200 });
    const err = await client.listJobs().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseTimeoutError);
    expect((err as Error).message).toMatch(/started, then its body stalled for 0\.2 s/);
    const r = await captureCli(["jobs", ...connection(url, "shop"), "--timeout", "0.2"]);
    expect([r.code, r.stdout]).toEqual([1, ""]);
    expect(r.stderr).toMatch(/^✘ ERROR timeout: the answer from .* started, then its body stalled/);
    expect(r.stderr).not.toContain("did not answer"); // it did answer: only its body stalled
  });

  it("does not cut a body that keeps streaming after the answer started in time", async () => {
    let release!: () => void;
    const later = new Promise<void>((r) => {
      release = r;
    });
    const url = await httpServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(frame(1));
      void later.then(() => res.end(frame(2, "shipped")));
    });
    const client = new GigafactoryClient({ url, token: "t", product: "p", responseTimeoutMs: 500 });
    const res = await client.openEventStream("job_1");
    const reader = res.body!.getReader();
    let text = new TextDecoder().decode((await reader.read()).value);
    // The bound passes while the client holds an open stream: wait until a fresh exchange would have timed out.
    const { url: silent } = await silentServer();
    await new GigafactoryClient({ url: silent, token: "t", product: "p", responseTimeoutMs: 600 })
      .listJobs()
      .catch(() => {});
    release();
    for (let c = await reader.read(); !c.done; c = await reader.read()) text += new TextDecoder().decode(c.value);
    expect(text).toContain('"to":"shipped"');
  });
});

describe("watch's feed follower", () => {
  it("reopens a feed that went silent, resuming from the last event id, instead of hanging", async () => {
    const asked: Array<string | undefined> = [];
    const url = await httpServer((req, res, n) => {
      asked.push(req.headers["last-event-id"] as string | undefined);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (n === 0)
        res.write(frame(1) + frame(2)); // then nothing, ever: not even a keep-alive
      else res.end(frame(3, "shipped"));
    });
    const seen: number[] = [];
    const retries: string[] = [];
    const client = new GigafactoryClient({ url, token: "t", product: "p" });
    await followJobFeed(client, "job_1", {
      after: 0,
      backoff: FAST,
      silenceMs: 400,
      onEvent: (e) => {
        seen.push(e.seq);
        return e.seq === 3;
      },
      onRetry: ({ reason }) => retries.push(reason),
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(asked).toEqual(["0", "2"]);
    expect(retries).toEqual(["the feed went silent"]);
  });

  it("retries a feed whose answer did not start in time", async () => {
    let n = 0;
    // The first connection hangs before any header; the second answers.
    const url = await httpServer((_req, res) => {
      if (n++ === 0) return;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(frame(1, "shipped"));
    });
    const client = new GigafactoryClient({ url, token: "t", product: "p", responseTimeoutMs: 500 });
    const seen: number[] = [];
    const onEvent = (e: { seq: number }): boolean => {
      seen.push(e.seq);
      return true;
    };
    await followJobFeed(client, "job_1", { after: 0, backoff: FAST, onEvent });
    expect(seen).toEqual([1]);
    expect(n).toBe(2);
  });
});
