// Proves a seat counts its lease from when a renewal was sent, not when its answer arrived (agent/seat-lease): the
// coordinator starts the TTL when it takes the renewal, so a late answer (a socket stalled up to a heartbeat) must
// not push the seat's idea of the expiry later — the engine would outlive the lease, and the serial key's hold, by
// the delay. Fake timers: the test sets the clock instead of waiting.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { FactoryConnection, OutFrame } from "../../src/agent/connection.ts";
import { SeatLease } from "../../src/agent/seat-lease.ts";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a renewal answered late", () => {
  it("holds the lease for its TTL from the renewal's send, so the lapse comes that much sooner", async () => {
    const answers: Array<(v: unknown) => void> = [];
    const conn = {
      request: (f: OutFrame) =>
        f.type === "renew" ? new Promise((resolve) => answers.push(resolve)) : Promise.resolve({}),
    } as unknown as FactoryConnection;
    let lapsedAt: number | undefined;
    const lease = new SeatLease({
      conn,
      jobId: "job_late",
      leaseEpoch: 1,
      wantedTtl: undefined,
      grantedTtl: 10,
      lost: () => {},
      lapsed: () => {
        lapsedAt = Date.now();
      },
      graceMs: () => 0,
      gaveUp: () => false,
      note: () => {},
    });
    lease.startRenewals(10, false, undefined);
    await vi.advanceTimersByTimeAsync(5_000); // the first renewal goes at TTL/2
    expect(answers).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(4_000); // its answer is 4 s late: t = 9 s
    answers[0]!({ ttlSeconds: 10 });
    // Every later renewal goes unanswered. Taken at t = 5 s, the lease ends at 15 s (not 19 s). The lapse decides in
    // the check phase after its timer (shared/after-poll), which fake timers run 1 ms later.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(lapsedAt).toBeGreaterThanOrEqual(15_000);
    expect(lapsedAt).toBeLessThanOrEqual(15_001);
    lease.stopRenewals();
  });
});
