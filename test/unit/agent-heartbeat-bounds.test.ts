// Proves a `welcome` whose heartbeat interval is past Node's longest timer (2^31 − 1 ms, which Node — and the fake
// clock, like it — fires after 1 ms instead) does not make the agent beat every millisecond: each beat's answer is
// awaited for one interval, so at 1 ms the agent also dropped its socket as half-open, again on every reconnect.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Welcome } from "../../src/agent/connection.ts";
import { offlineConnection } from "./agent-fakes.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("the heartbeat a welcome asks for", () => {
  it("is held to Node's longest timer, not fired every millisecond past it", async () => {
    vi.useFakeTimers();
    const conn = offlineConnection();
    const beats = vi.spyOn(conn, "request").mockResolvedValue({});
    const welcome: Welcome = {
      ...{ type: "welcome", v: 1, factoryId: "fac_1", productId: "p", queueVersion: 1 },
      heartbeatIntervalMs: 2 ** 32,
      leases: [],
    };
    (conn as unknown as { receive(f: Welcome): void }).receive(welcome); // as the socket's message listener does
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beats).not.toHaveBeenCalled();
    conn.close();
  });
});
