// The serial stop hold (core/serial-holds): a forced loss of a live lease keeps the job's serial key held by that
// run until its factory's `stopped` frame for exactly that job and epoch, or the old lease's expiry — never longer
// (property-tested: no hold outlives the lease it came from, and none is made from a lapsed lease or without a key);
// the waiting reason names the stopping job and says the key is held while it stops.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  holdAfterForcedLoss,
  holdLive,
  holdMessage,
  liveHoldsByKey,
  type SerialHold,
  stopEndsHold,
} from "../../src/core/serial-holds.ts";
import { gateReason } from "../../src/core/waiting-queued.ts";
import { jobFixture as job } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const running = { id: "job_a", serialKey: "repo/main", holderFactoryId: "fac_1", leaseEpoch: 3 };

describe("holdAfterForcedLoss", () => {
  it("holds the key for the run whose live lease was taken, until that lease's expiry", () => {
    expect(holdAfterForcedLoss({ ...running, leaseExpiresAt: NOW + 60_000 }, NOW)).toEqual({
      key: "repo/main",
      jobId: "job_a",
      factoryId: "fac_1",
      leaseEpoch: 3,
      until: NOW + 60_000,
    });
  });

  it("holds nothing without a key, without a holder, or once the lease has run out", () => {
    expect(holdAfterForcedLoss({ ...running, serialKey: undefined, leaseExpiresAt: NOW + 1 }, NOW)).toBeUndefined();
    expect(
      holdAfterForcedLoss({ ...running, holderFactoryId: undefined, leaseExpiresAt: NOW + 1 }, NOW),
    ).toBeUndefined();
    expect(holdAfterForcedLoss({ ...running, leaseExpiresAt: undefined }, NOW)).toBeUndefined();
    expect(holdAfterForcedLoss({ ...running, leaseExpiresAt: NOW }, NOW)).toBeUndefined(); // expiry instant: gone
  });
});

describe("the hold ends", () => {
  const hold: SerialHold = { key: "k", jobId: "job_a", factoryId: "fac_1", leaseEpoch: 3, until: NOW + 1000 };

  it("by the old lease's expiry (exclusive, like a lease)", () => {
    expect(holdLive(hold, NOW + 999)).toBe(true);
    expect(holdLive(hold, NOW + 1000)).toBe(false);
  });

  it("by a stopped frame of exactly that factory, job and epoch", () => {
    const stop = { factoryId: "fac_1", jobId: "job_a", leaseEpoch: 3 };
    expect(stopEndsHold(hold, stop)).toBe(true);
    expect(stopEndsHold(hold, { ...stop, factoryId: "fac_2" })).toBe(false);
    expect(stopEndsHold(hold, { ...stop, jobId: "job_b" })).toBe(false);
    expect(stopEndsHold(hold, { ...stop, leaseEpoch: 4 })).toBe(false);
  });

  it("live holds by key: over ones dropped, the longest kept", () => {
    const later = { ...hold, jobId: "job_b", until: NOW + 5000 };
    const over = { ...hold, key: "gone", until: NOW };
    const byKey = liveHoldsByKey([hold, later, over], NOW);
    expect([...byKey.keys()]).toEqual(["k"]);
    expect(byKey.get("k")).toBe(later);
  });
});

describe("bound (property)", () => {
  it("a hold never outlives the old lease: made only from a live lease, over at its expiry", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.integer({ min: 0, max: 7_200_000 }),
        fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
        (now, ttlLeft, later, key) => {
          const expiresAt = now + ttlLeft;
          const hold = holdAfterForcedLoss({ ...running, serialKey: key, leaseExpiresAt: expiresAt }, now);
          if (key === undefined || ttlLeft <= 0) return hold === undefined;
          if (!hold || hold.until !== expiresAt || !holdLive(hold, now)) return false;
          // At any later instant it is live only before the old lease's expiry.
          return holdLive(hold, now + later) === now + later < expiresAt;
        },
      ),
    );
  });
});

describe("the waiting reason", () => {
  const hold: SerialHold = { key: "repo/main", jobId: "job_a", factoryId: "fac_1", leaseEpoch: 3, until: NOW + 60_000 };
  const ctx = { now: NOW, busySerialKeys: new Set(["repo/main"]) };

  it("names the stopping job and says the key is held while it stops, with the latest instant", () => {
    const waiting = job(NOW, { id: "job_b", serialKey: "repo/main" });
    const r = gateReason(waiting, ctx, "held", new Map(), new Map([["repo/main", hold]]));
    expect(r).toMatchObject({
      code: "serial_key_held",
      detail: {
        serialKey: "repo/main",
        holder: "job_a",
        stopping: { jobId: "job_a", factoryId: "fac_1", leaseEpoch: 3, until: NOW + 60_000 },
      },
    });
    expect(r?.message).toBe(
      `serial key repo/main is held while job job_a stops on factory fac_1 (its lease was taken; free once that ` +
        `factory says it stopped, at the latest ${new Date(NOW + 60_000).toISOString()})`,
    );
  });

  it("a running holder is named first; a job waiting on its own previous run says so", () => {
    const waiting = job(NOW, { id: "job_b", serialKey: "repo/main" });
    const both = gateReason(waiting, ctx, "held", new Map([["repo/main", "job_c"]]), new Map([["repo/main", hold]]));
    expect(both?.message).toBe("serial key repo/main is held by job job_c; it runs after");
    expect(holdMessage(hold, "job_a")).toMatch(/^serial key repo\/main is held while this job's previous run stops/);
  });
});
