// What of the fleet a waiting job's page reads its reason again for (dashboard/live.js `fleetTerms`, the poller's
// `fleetChanged`): a factory enrolled or gone, its status, health, link (`connected`), seats, capabilities or a
// breaker's state — not its load or heartbeat, which move at every read of the list (every open job page of a
// waiting job would read the job again each 15 s), nor the order the list comes in. A read of the fleet that fails, or that another server answers,
// moves nothing (the poller's `fleetChanged`), and the move it missed is told by the next read that works.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetTerms, Live } from "../../dashboard/live.js";

const factory = (over: Record<string, unknown> = {}) => ({
  id: "fac_1",
  name: "builder-1",
  status: "active",
  health: "ok",
  seats: 2,
  load: 0,
  lastHeartbeatAt: 1_000,
  capabilities: ["linux"],
  breakers: [{ engine: "claude", state: "closed", consecutiveFailures: 0, openUntil: null }],
  ...over,
});

describe("the fleet as a waiting job's reason reads it", () => {
  it("holds through load, heartbeats and the list's order", () => {
    const other = factory({ id: "fac_2", name: "builder-2" });
    expect(fleetTerms([factory({ load: 2, lastHeartbeatAt: 9_000 }), other])).toBe(fleetTerms([other, factory()]));
  });

  it("moves with a factory enrolled, its status, health, link, seats, capabilities or a breaker's state", () => {
    const before = fleetTerms([factory()]);
    for (const after of [
      [factory(), factory({ id: "fac_2" })],
      [factory({ status: "draining" })],
      [factory({ health: "stale" })],
      // Back (or gone) within the heartbeat's grace: health unchanged, the waiting reason's link not.
      [factory({ connected: false })],
      [factory({ seats: 3 })],
      [factory({ capabilities: ["linux", "gpu"] })],
      [factory({ breakers: [{ engine: "claude", state: "open", consecutiveFailures: 5, openUntil: 2_000 }] })],
    ])
      expect(fleetTerms(after), JSON.stringify(after)).not.toBe(before);
  });
});

describe("the poller's fleetChanged", () => {
  const host = globalThis as unknown as Record<string, unknown>;
  const saved = { fetch: host.fetch, location: host.location, document: host.document };
  /** What `GET …/factories` answers next. */
  let fleet: () => Response = () => Response.json({ factories: [factory()] });
  beforeEach(() => {
    vi.useFakeTimers();
    Object.assign(host, {
      location: { origin: "http://dash.test" },
      document: { hidden: false },
      fetch: async (url: string) => {
        const path = new URL(url).pathname;
        if (path.endsWith("/queue-state")) return Response.json({ version: 1 });
        if (path.endsWith("/stats")) return Response.json({ counts: {} });
        return fleet();
      },
    });
  });
  afterEach(() => {
    vi.useRealTimers();
    Object.assign(host, saved);
  });

  it("is not told by a failed or foreign read of the fleet, and is by the next that works", async () => {
    const live = new Live({ token: "gf_p_x", product: "p" });
    const told: boolean[] = [];
    live.subscribe((c: { fleetChanged: boolean }) => told.push(c.fleetChanged));
    /** One tick after the fleet's 15 s, the fleet answered `res`. */
    const tickWith = async (res: () => Response) => {
      fleet = res;
      vi.advanceTimersByTime(15_001);
      await live.tick();
      return told.at(-1);
    };
    await live.tick(); // the first read: no move
    const html = { status: 502, headers: { "content-type": "text/html" } };
    expect(await tickWith(() => new Response("<h1>Bad Gateway</h1>", html))).toBe(false);
    expect(await tickWith(() => Response.json({ code: "forbidden" }, { status: 403 }))).toBe(false);
    expect(await tickWith(() => new Response("<p>portal</p>", { headers: { "content-type": "text/html" } }))).toBe(
      false,
    );
    expect(await tickWith(() => Response.json({ factories: [{ id: "fac_1" }] }))).toBe(false); // not its shape
    expect(live.error).not.toBe("");
    const enrolled = () => Response.json({ factories: [factory(), factory({ id: "fac_2" })] });
    expect(await tickWith(enrolled)).toBe(true);
    expect(await tickWith(enrolled)).toBe(false);
    expect(told[0]).toBe(false);
  });
});
