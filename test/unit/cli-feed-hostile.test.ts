// `gigafactory watch ID` against a flaky network and a hostile server on a real local socket: a feed that sends one
// endless line (no newline, ever) ends the watch with `✘ ERROR bad_response` and closes the connection, instead of
// growing the CLI's memory without bound (under --json: one compact error line, the only stdout); events written one
// byte per write with CRLF endings, between floods of keep-alive comments and a `retry:` field, cut mid-event, are
// resumed from their Last-Event-ID and printed exactly once each; a 401 on the reconnect is final, its `✘ ERROR` line
// (and under --json the NDJSON events then one error line, every line valid JSON) after the events already shown.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { captureCli, connection } from "../support/cli-harness.ts";
import { drainedOrClosed } from "../support/http-drain.ts";

type Ev = { seq: number; type: string; at: number; data: Record<string, unknown> };
const ev = (seq: number, to?: string): Ev =>
  to
    ? { seq, type: "job.stage", at: 1000 + seq, data: { from: "building", to } }
    : { seq, type: "log", at: 1000 + seq, data: { lines: [{ stream: "stdout", text: `line ${seq}`, at: 1000 }] } };
const crlf = (e: Ev): string => `id: ${e.seq}\r\nevent: ${e.type}\r\ndata: ${JSON.stringify(e)}\r\n\r\n`;

/**
 * A coordinator whose job is `building` (so the watch goes to the feed) and whose stream is `stream(res, n, after)`
 * for the n-th stream request; the REST reads answer an empty page. Closed when the test ends.
 */
async function coordinator(
  stream: (res: ServerResponse, n: number, after: number, req: IncomingMessage) => void | Promise<void>,
): Promise<string> {
  let n = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    if (url.pathname.endsWith("/events/stream")) {
      void stream(res, n++, Number(url.searchParams.get("after") ?? 0), req);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    const doc = url.pathname.endsWith("/events") ? { events: [], lastSeq: 0 } : { id: "job_1", stage: "building" };
    res.end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Writes `text` one UTF-8 byte per write, each flushed before the next: every split a network could make. */
async function byteByByte(res: ServerResponse, text: string): Promise<void> {
  for (const byte of Buffer.from(text, "utf8")) {
    if (res.destroyed) return;
    await new Promise<void>((r) => res.write(Buffer.of(byte), () => r()));
  }
}

const linesOf = (s: string): string[] => s.split("\n").filter(Boolean);

describe("watch against a hostile feed", () => {
  it("ends with ✘ ERROR bad_response on an endless line, closing the connection, instead of holding it all", async () => {
    let closed = 0;
    const allClosed: Array<() => void> = [];
    const bothClosed = new Promise<void>((r) => {
      allClosed.push(r);
    });
    const url = await coordinator(async (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.on("close", () => {
        if (++closed === 2) allClosed[0]?.();
      });
      const piece = Buffer.alloc(64 * 1024, "x");
      res.write("data: ");
      // Writes until the reader goes away: 16 MiB and beyond, never a newline.
      while (!res.destroyed) {
        if (!res.write(piece)) await drainedOrClosed(res);
      }
    });
    const human = await captureCli(["watch", "job_1", ...connection(url, "p")]);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^✘ ERROR bad_response: the job feed sent a frame over 16777216 bytes/);
    const json = await captureCli(["watch", "job_1", "--json", ...connection(url, "p")]);
    expect(json.code).toBe(1);
    expect(linesOf(json.stdout).map((l) => JSON.parse(l).error.code)).toEqual(["bad_response"]);
    await bothClosed; // each run's one connection was dropped by the CLI, and it did not reconnect to such a stream
    expect(closed).toBe(2);
  });

  it("resumes a feed cut mid-event from its Last-Event-ID and prints each event once, whatever the splits", async () => {
    const events = [ev(1), ev(2), ev(3), ev(4, "shipped")];
    const asked: Array<string | undefined> = [];
    const url = await coordinator(async (res, n, after, req) => {
      asked.push(req.headers["last-event-id"] as string | undefined);
      res.writeHead(200, { "content-type": "text/event-stream" });
      await byteByByte(res, `retry: 1\r\n${": keep-alive\r\n".repeat(200)}`);
      const rest = events.filter((e) => e.seq > after);
      if (n === 0) {
        // Two whole events, then half of the third: the connection drops in its middle.
        const text = crlf(rest[0]!) + crlf(rest[1]!);
        await byteByByte(res, text + crlf(rest[2]!).slice(0, 30));
        res.destroy();
        return;
      }
      // The reconnect replays from the start of the feed too: what the CLI saw already must not print again.
      await byteByByte(res, events.map(crlf).join(""));
      res.end();
    });
    const run = await captureCli(["watch", "job_1", ...connection(url, "p")]);
    expect(run.code).toBe(0);
    expect(linesOf(run.stdout).map((l) => l.split(" ")[0])).toEqual(["#1", "#2", "#3", "#4"]);
    expect(asked).toEqual(["0", "2"]);
    expect(run.stderr).toMatch(/^… the connection broke; reconnecting in \d+\.\ds \(attempt 1 of 29\)\n$/);
  });

  it("ends on a 401 at the reconnect with ✘ ERROR unauthorized after the events shown, one JSON line each", async () => {
    const revokedAtReconnect = () =>
      coordinator((res, n) => {
        if (n === 0) {
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.end(crlf(ev(1)) + crlf(ev(2)));
          return;
        }
        const problem = { type: "about:blank", title: "Unauthorized", detail: "token revoked", code: "unauthorized" };
        res.writeHead(401, { "content-type": "application/problem+json" });
        res.end(JSON.stringify(problem));
      });
    const human = await captureCli(["watch", "job_1", ...connection(await revokedAtReconnect(), "p")]);
    expect(human.code).toBe(1);
    expect(linesOf(human.stdout).map((l) => l.split(" ")[0])).toEqual(["#1", "#2"]);
    expect(human.stderr).toMatch(/\n✘ ERROR unauthorized: token revoked \/ check the token/);
    const json = await captureCli(["watch", "job_1", "--json", ...connection(await revokedAtReconnect(), "p")]);
    expect(json.code).toBe(1);
    const docs = linesOf(json.stdout).map((l) => JSON.parse(l));
    expect(docs.map((d) => d.seq ?? d.error.code)).toEqual([1, 2, "unauthorized"]);
  });
});
