// A flaky SSE client cannot lock a job's feed for good, over real sockets against the real local runtime (workerd on
// 127.0.0.1): the runtime does not always cancel a response body when its client disconnects (workerd#6832), so a
// dropped SSE stream used to keep its slot of the job's watcher cap (MAX_WATCHERS) until 4 MiB of keep-alives queued —
// on a quiet job never. Here one watcher stays connected and reads throughout, and a client opens and drops the rest
// of the job's 256 slots (the admin's bearer header: a product token is held to 16 streams of a feed; each stream's
// first bytes read, then its socket destroyed): the next SSE and WebSocket watchers are refused 429 at first, then —
// once a keep-alive round finds those streams' readers took
// nothing — a watcher is admitted again (polled, bounded at 90 s), and the watcher that kept reading still gets the
// keep-alives and the job's events. At most 256 + the polls' connections; the test ends by itself. The server's
// rounds are 6 s (FEED_KEEPALIVE_SECONDS), not the default 15: a gone stream took three rounds to be dropped (45 s).
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { poll } from "./agent-procs.ts";
import { ADMIN, type Harness, mintRoleTokens, P, startHarness } from "./harness.ts";
import { ProductClient } from "./product-client.ts";

const PRODUCT = "sse-flaky";
/** A job's watcher cap: durable-objects/job-feed MAX_WATCHERS (that module needs the Workers runtime to load). */
const MAX_WATCHERS = 256;

let h: Harness;
/**
 * 6 s: all 255 dropped streams must still be held when the next watchers are refused. Opening them took 0.8-5.1 s
 * (load 2-10, up to three e2e files beside), and a gone stream was dropped two rounds after its open at the soonest
 * (the first round only notes what its reader took; the runtime still takes that round's keep-alive): at 6 s, 12 s.
 */
const KEEPALIVE_SECONDS = "6";

beforeAll(async () => {
  h = await startHarness({ vars: { FEED_KEEPALIVE_SECONDS: KEEPALIVE_SECONDS } });
});
afterAll(async () => {
  await h?.close();
});

interface Opened {
  status: number;
  /** The body as far as it was read (the first chunk of a 200; the whole body of a refusal). */
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A GET of `path` on its own socket: a refusal read to its end, a 200 read until its first chunk and then its socket
 * destroyed — a client that went away without a word, as a dropped connection does.
 */
function openAndDrop(path: string, headers: Record<string, string>): Promise<Opened> {
  const url = new URL(path, h.url);
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
        if (res.statusCode === 200) {
          req.destroy();
          resolve({ status: 200, text, headers: res.headers });
        }
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      res.on("error", () => undefined); // the destroy above
    });
    req.on("error", reject); // after a resolve (the destroy above), a no-op
  });
}

/** The headers of a WebSocket handshake: a refusal is an ordinary HTTP answer to it. */
const WS_HANDSHAKE = {
  connection: "Upgrade",
  upgrade: "websocket",
  "sec-websocket-version": "13",
  "sec-websocket-key": Buffer.from("0123456789abcdef").toString("base64"),
};

describe("a flaky SSE client that opens and drops a job's every watcher slot", () => {
  it("is refused at first, then let in again once a keep-alive round drops the gone streams; a reader stays", async () => {
    const pc = new ProductClient(h.url, PRODUCT);
    const job = await pc.submit({ title: "popular" });
    const { viewer } = await mintRoleTokens(h.url, PRODUCT);
    const bearer = { authorization: `Bearer ${viewer}` };
    const stream = `${P(PRODUCT)}/jobs/${job.id}/events/stream`;

    // The watcher that stays: it reads whatever comes, all along.
    const kept = await fetch(`${h.url}${stream}`, { headers: bearer });
    expect(kept.status).toBe(200);
    const reader = kept.body!.getReader();
    let seen = "";
    const reading = (async () => {
      const dec = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        seen += dec.decode(value, { stream: true });
      }
    })();
    await poll("the kept watcher's first event", 10_000, () => seen.includes("id: 1\n") || undefined);

    // The flaky client: every other slot opened and dropped. As the admin: a product token is held to 16 streams of
    // a feed (job-feed MAX_WATCHERS_PER_TOKEN, pass 48), so only a token with no such bound can reach the job's cap.
    const flaky = { authorization: `Bearer ${ADMIN}` };
    for (let i = 1; i < MAX_WATCHERS; i++) {
      const r = await openAndDrop(stream, flaky);
      expect({ i, status: r.status }).toEqual({ i, status: 200 });
      expect(r.text).toContain("job feed, resuming after 0");
    }

    // At first the job's feed is full: the next SSE and WebSocket watchers are refused, told when to try again.
    const sse = await openAndDrop(stream, flaky);
    expect([sse.status, JSON.parse(sse.text).code]).toEqual([429, "limit_exceeded"]);
    expect(sse.headers["retry-after"]).toBeDefined();
    const ws = await openAndDrop(`${P(PRODUCT)}/jobs/${job.id}/events/ws`, { ...flaky, ...WS_HANDSHAKE });
    expect([ws.status, JSON.parse(ws.text).code]).toEqual([429, "limit_exceeded"]);
    const keepAlivesBefore = seen.split("keep-alive").length;

    // Then, once a keep-alive round found the dropped streams' readers took nothing, a watcher is let in again.
    const admitted = await poll("a watcher admitted again", 90_000, async () => {
      const r = await openAndDrop(stream, flaky);
      return r.status === 429 ? undefined : r;
    });
    expect(admitted.status).toBe(200);
    expect(admitted.text).toContain("job feed, resuming after 0");

    // The watcher that kept reading was not taken for gone: it got keep-alives meanwhile, and gets the job's events.
    expect(seen.split("keep-alive").length).toBeGreaterThan(keepAlivesBefore);
    await pc.act(job.id, "cancel", ADMIN);
    await poll("the kept watcher sees the cancel", 10_000, () => /"to":"cancelled"/.test(seen) || undefined);
    await reader.cancel();
    await reading;
  });
});
