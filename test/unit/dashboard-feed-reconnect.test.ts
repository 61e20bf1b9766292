// The dashboard's job feed (dashboard/feed.js) under reconnect storms, with a fake WebSocket and ticket endpoint:
// its reconnect waits are jittered (pages that drop together do not come back together), its backoff starts over
// only after a socket that delivered an event or stayed open 5 s — a socket closed right after `ready`, again and
// again, is not reopened every second — and a close the feed gave a reason for shows that reason. A ticket refused
// by another server (a gateway's 403, a proxy's bodiless 404) is asked for again; only the coordinator's own 401, 403
// or 404 stops the feed.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { JobFeedClient, jittered } from "../../dashboard/feed.js";

/** A WebSocket the test drives: it opens, sends frames and closes when told. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen?: () => void;
  onmessage?: (m: { data: string }) => void;
  onclose?: (e: { code: number; reason: string }) => void;
  sent: string[] = [];
  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }
  send(text: string) {
    this.sent.push(text);
  }
  close() {}
  frame(f: unknown) {
    this.onmessage?.({ data: JSON.stringify(f) });
  }
}

const host = globalThis as unknown as Record<string, unknown>;
const saved = { WebSocket: host.WebSocket, fetch: host.fetch, location: host.location };
let tickets = 0;

beforeEach(() => {
  vi.useFakeTimers();
  FakeSocket.made = [];
  tickets = 0;
  Object.assign(globalThis, {
    WebSocket: FakeSocket,
    location: { origin: "http://dash.test" },
    fetch: async () => new Response(JSON.stringify({ ticket: `t${++tickets}` }), { status: 201 }),
  });
});
afterEach(() => {
  vi.useRealTimers();
  Object.assign(globalThis, saved);
});

/** A feed client whose states are recorded; `random` pins the jitter. */
function feed(random: () => number) {
  const states: string[] = [];
  const events: number[] = [];
  const client = new JobFeedClient(
    { token: "gf_p_x", product: "p" },
    "job_1",
    {
      onEvent: (e: { seq: number }) => events.push(e.seq),
      onState: (s: string, d: string) => states.push(`${s}|${d}`),
    },
    { random },
  );
  return { client, states, events };
}

/** Lets the ticket request settle and waits until socket number `n` (1-based) exists. */
async function socket(n: number): Promise<FakeSocket> {
  for (let i = 0; i < 50 && FakeSocket.made.length < n; i++) await vi.advanceTimersByTimeAsync(0);
  const s = FakeSocket.made[n - 1];
  if (!s) throw new Error(`socket ${n} was never opened`);
  return s;
}

/** Advances the clock until socket number `n` opens; answers how many ms that took. */
async function msUntilSocket(n: number): Promise<number> {
  for (let ms = 0; ms <= 60_000; ms += 50) {
    if (FakeSocket.made.length >= n) return ms;
    await vi.advanceTimersByTimeAsync(50);
  }
  throw new Error(`socket ${n} was never opened`);
}

describe("dashboard feed reconnects", () => {
  it("jitters each wait over the upper half of the backoff", () => {
    expect([jittered(8000, () => 0), jittered(8000, () => 0.5), jittered(8000, () => 0.999_999)]).toEqual([
      4000, 6000, 8000,
    ]);
  });

  it("a wait drawn low comes back after half the backoff, not in step with every other page", async () => {
    const early = feed(() => 0);
    early.client.start();
    (await socket(1)).onclose?.({ code: 1006, reason: "" });
    expect(await msUntilSocket(2)).toBe(500);
    early.client.stop();
  });

  it("does not start the backoff over on `ready` alone: a socket closed after it again and again waits longer each time", async () => {
    const { client, states } = feed(() => 0.999_999);
    client.start();
    const waits: number[] = [];
    for (let n = 1; n <= 5; n++) {
      const ws = await socket(n);
      ws.onopen?.();
      ws.frame({ type: "ready", lastSeq: 3 });
      ws.onclose?.({ code: 1000, reason: "" });
      waits.push(await msUntilSocket(n + 1));
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(states.filter((s) => s.startsWith("reconnecting|connection closed")).length).toBe(5);
    client.stop();
  });

  it("starts the backoff over after a socket that delivered an event, or stayed open 5 s", async () => {
    const { client, events } = feed(() => 0.999_999);
    client.start();
    for (let n = 1; n <= 3; n++) {
      (await socket(n)).onclose?.({ code: 1006, reason: "" });
      await msUntilSocket(n + 1);
    }
    const good = await socket(4);
    good.onopen?.();
    good.frame({ type: "event", event: { seq: 1, type: "log", at: 1, data: {} } });
    good.onclose?.({ code: 1006, reason: "" });
    expect(await msUntilSocket(5)).toBe(1000);
    expect(events).toEqual([1]);
    const refused = await socket(5);
    refused.onclose?.({ code: 1006, reason: "" });
    expect(await msUntilSocket(6)).toBe(2000);
    const quiet = await socket(6);
    quiet.onopen?.();
    await vi.advanceTimersByTimeAsync(5000);
    quiet.onclose?.({ code: 1006, reason: "" });
    expect(await msUntilSocket(7)).toBe(1000);
    client.stop();
  });

  it("shows the reason the feed gave for closing the socket", async () => {
    const { client, states } = feed(() => 0.999_999);
    client.start();
    const ws = await socket(1);
    ws.onopen?.();
    ws.onclose?.({ code: 4410, reason: "feed pruned by retention" });
    expect(states.at(-1)).toBe("reconnecting|closed by the feed: feed pruned by retention; retrying in 1 s");
    client.stop();
  });

  it("asks again for a ticket another server refused; stops on the coordinator's own 401, 403 or 404", async () => {
    const answers: Array<() => Response> = [
      () => Response.json({ code: "forbidden", message: "blocked by policy" }, { status: 403 }), // a gateway's
      () => new Response(null, { status: 404 }), // a proxy's bodiless 404, mid-deploy
      () => new Response("<h1>Unauthorized</h1>", { status: 401, headers: { "content-type": "text/html" } }),
      () => Response.json({ ticket: "t1" }, { status: 201 }),
    ];
    host.fetch = async () => answers.shift()!();
    const { client, states } = feed(() => 0.999_999);
    client.start();
    for (let i = 0; i < 60 && FakeSocket.made.length === 0 && answers.length > 0; i++)
      await vi.advanceTimersByTimeAsync(1000);
    const ws = await socket(1); // reached through three refusals, each asked again
    expect(states.filter((s) => s.startsWith("stopped"))).toEqual([]);
    expect(states.filter((s) => s.startsWith("reconnecting|") && s.includes("retrying"))).toHaveLength(3);
    ws.onclose?.({ code: 1006, reason: "" });
    const problem = { type: "about:blank", title: "Not found", detail: "job job_1 does not exist", code: "not_found" };
    host.fetch = async () =>
      new Response(JSON.stringify(problem), { status: 404, headers: { "content-type": "application/problem+json" } });
    for (let i = 0; i < 50 && !states.at(-1)?.startsWith("stopped"); i++) await vi.advanceTimersByTimeAsync(1000);
    expect(states.at(-1)).toMatch(/^stopped\|Not found — job job_1 does not exist/);
    client.stop();
  });
});
