// Proves the heartbeat interval a `welcome` asks for is held within bounds (agent/heartbeat-interval). Past Node's
// longest timer (2^31 − 1 ms, which Node — and the fake clock, like it — fires after 1 ms instead) the agent must not
// beat every millisecond: each beat's answer is awaited for one interval, so at 1 ms it also dropped its socket as
// half-open, again on every reconnect. And a long interval the coordinator asks for (up to 24 days was trusted) must
// not leave a half-open socket unseen that long, every lease lapsing meanwhile: the agent beats at least every
// HEARTBEAT_MAX_MS, and drops a socket whose beat goes unanswered for that long.
import { afterEach, describe, expect, it, vi } from "vitest";
import { FrameError, type Welcome } from "../../src/agent/connection.ts";
import { HEARTBEAT_MAX_MS, HEARTBEAT_MIN_MS, heartbeatEvery } from "../../src/agent/heartbeat-interval.ts";
import { offlineConnection } from "./agent-fakes.ts";

afterEach(() => {
  vi.useRealTimers();
});

const welcome = (heartbeatIntervalMs: number): Welcome => ({
  ...{ type: "welcome", v: 1, factoryId: "fac_1", productId: "p", queueVersion: 1 },
  heartbeatIntervalMs,
  leases: [],
});

describe("the heartbeat a welcome asks for", () => {
  it("is held to HEARTBEAT_MAX_MS, not fired every millisecond past Node's longest timer", async () => {
    vi.useFakeTimers();
    const conn = offlineConnection();
    const beats = vi.spyOn(conn, "request").mockResolvedValue({});
    (conn as unknown as { receive(f: Welcome): void }).receive(welcome(2 ** 32)); // as the socket's listener does
    await vi.advanceTimersByTimeAsync(2 * HEARTBEAT_MAX_MS);
    expect(beats).toHaveBeenCalledTimes(2);
    conn.close();
  });

  it("asked for 24 days: a beat unanswered drops the socket within two HEARTBEAT_MAX_MS", async () => {
    vi.useFakeTimers();
    const conn = offlineConnection();
    const socket = { terminate: vi.fn() }; // a half-open socket: nothing it sends is ever answered
    (conn as unknown as { ws: unknown }).ws = socket;
    const beats = vi.spyOn(conn, "request").mockImplementation(async (_frame, timeoutMs) => {
      await new Promise((r) => setTimeout(r, timeoutMs));
      throw new FrameError("timeout", "no answer to heartbeat");
    });
    (conn as unknown as { receive(f: Welcome): void }).receive(welcome(2 ** 31 - 1));
    await vi.advanceTimersByTimeAsync(2 * HEARTBEAT_MAX_MS);
    expect(beats).toHaveBeenCalledWith({ type: "heartbeat" }, HEARTBEAT_MAX_MS);
    expect(socket.terminate).toHaveBeenCalled();
    (conn as unknown as { ws: unknown }).ws = undefined;
    conn.close();
  });

  it("any number a welcome carries maps into MIN..MAX", () => {
    expect(heartbeatEvery(15_000)).toBe(15_000);
    expect(heartbeatEvery(2 ** 31 - 1)).toBe(HEARTBEAT_MAX_MS);
    expect(heartbeatEvery(0)).toBe(HEARTBEAT_MIN_MS);
    expect(heartbeatEvery(-5)).toBe(HEARTBEAT_MIN_MS);
  });
});
