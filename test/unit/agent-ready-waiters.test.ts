// Proves a frame waiting for the coordinator through a long outage costs one waiter, not one more per second: the
// report's delivery (agent/report `deliverFrame`) wakes every second to see whether its lease was given up, and each
// wake used to leave a waiter on the connection until the next `welcome` — 100 after 100 s, 86,400 a day, per frame.
import { afterEach, describe, expect, it, vi } from "vitest";
import { deliverFrame } from "../../src/agent/report.ts";
import { offlineConnection } from "./agent-fakes.ts";

afterEach(() => {
  vi.useRealTimers();
});

describe("a delivery waiting through an outage", () => {
  it("holds one waiter on the connection however long it waits, and ends when given up", async () => {
    vi.useFakeTimers();
    const conn = offlineConnection(); // never started: the coordinator is away
    let gaveUp = false;
    const delivery = deliverFrame(conn, { type: "heartbeat" }, () => gaveUp);
    await vi.advanceTimersByTimeAsync(100_000);
    const waiters = (conn as unknown as { readyWaiters: { size?: number; length?: number } }).readyWaiters;
    expect(waiters.size ?? waiters.length).toBeLessThanOrEqual(1);
    gaveUp = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await delivery).toMatchObject({ ok: false, leaseLost: true });
    expect(waiters.size ?? waiters.length).toBe(0);
  });
});
