// The serial stop hold (core/serial-holds): a lease lost by force or by lapse keeps the job's serial key held by that
// run until its factory's `stopped` frame for exactly that job and epoch, or until the agent would have stopped the
// engine on its own — the old lease's expiry plus the agent's own lapse grace (agent/lease-renewer `lapseGraceMs`)
// and its kill window (CANCEL_GRACE_MS): property-tested never shorter than that rule, never longer than expiry + max(TTL, 30 s)
// + 5 s, none made without a key or once that instant passed; across grants at changing TTLs (a lowered product TTL, a
// renewal's lost answer) never shorter than the lapse after whichever grant the agent heard last; the waiting reason
// names the stopping job.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CANCEL_GRACE_MS } from "../../src/agent/engine-runner.ts";
import { lapseGraceMs } from "../../src/agent/lease-renewer.ts";
import {
  ENGINE_STOP_SLACK_MS,
  engineStopsBy,
  holdAfterLeaseLoss,
  holdLive,
  holdMessage,
  liveHoldsByKey,
  type SerialHold,
  stopEndsHold,
  stopsByAfterGrant,
} from "../../src/core/serial-holds.ts";
import { gateReason } from "../../src/core/waiting-queued.ts";
import { jobFixture as job } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const running = { id: "job_a", serialKey: "repo/main", holderFactoryId: "fac_1", leaseEpoch: 3 };

describe("holdAfterLeaseLoss", () => {
  it("holds the key for the run whose lease was taken until the agent would have stopped its engine itself", () => {
    expect(holdAfterLeaseLoss({ ...running, leaseExpiresAt: NOW + 60_000 }, NOW, 60)).toEqual({
      key: "repo/main",
      jobId: "job_a",
      factoryId: "fac_1",
      leaseEpoch: 3,
      until: NOW + 60_000 + 60_000 + ENGINE_STOP_SLACK_MS,
    });
    // A short TTL still gets the agent's 30 s floor.
    expect(holdAfterLeaseLoss({ ...running, leaseExpiresAt: NOW + 5_000 }, NOW, 5)?.until).toBe(
      NOW + 5_000 + 30_000 + ENGINE_STOP_SLACK_MS,
    );
  });

  it("holds the key after a lapse too: a partitioned agent runs its engine on past the expiry", () => {
    const lapsed = holdAfterLeaseLoss({ ...running, leaseExpiresAt: NOW - 1_000 }, NOW, 60);
    expect(lapsed?.until).toBe(NOW - 1_000 + 60_000 + ENGINE_STOP_SLACK_MS);
  });

  it("holds nothing without a key, without a holder, or once the engine has stopped on its own", () => {
    expect(holdAfterLeaseLoss({ ...running, serialKey: undefined, leaseExpiresAt: NOW + 1 }, NOW, 60)).toBeUndefined();
    expect(
      holdAfterLeaseLoss({ ...running, holderFactoryId: undefined, leaseExpiresAt: NOW + 1 }, NOW, 60),
    ).toBeUndefined();
    expect(holdAfterLeaseLoss({ ...running, leaseExpiresAt: undefined }, NOW, 60)).toBeUndefined();
    const over = NOW - 60_000 - ENGINE_STOP_SLACK_MS; // its end is this very instant: gone
    expect(holdAfterLeaseLoss({ ...running, leaseExpiresAt: over }, NOW, 60)).toBeUndefined();
  });
});

describe("the hold ends", () => {
  const hold: SerialHold = { key: "k", jobId: "job_a", factoryId: "fac_1", leaseEpoch: 3, until: NOW + 1000 };

  it("by its end (exclusive, like a lease)", () => {
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
  it("a hold lasts until the agent's own lapse has killed the engine, and no longer than the stated bound", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.integer({ min: 5, max: 3600 }),
        fc.integer({ min: 0, max: 7_200_000 }),
        fc.option(fc.string({ minLength: 1, maxLength: 8 }), { nil: undefined }),
        (now, ttlLeft, ttl, later, key) => {
          const expiresAt = now + ttlLeft;
          const hold = holdAfterLeaseLoss({ ...running, serialKey: key, leaseExpiresAt: expiresAt }, now, ttl);
          const end = engineStopsBy(expiresAt, ttl);
          if (key === undefined || end <= now) return hold === undefined;
          if (!hold || hold.until !== end || !holdLive(hold, now)) return false;
          // Never shorter than the agent's rule (lapse grace past the expiry, then the kill window) …
          if (end < expiresAt + lapseGraceMs(ttl) + CANCEL_GRACE_MS) return false;
          // … never longer than expiry + max(TTL, 30 s) + the slack; live only before its end.
          if (end > expiresAt + Math.max(ttl, 30) * 1000 + ENGINE_STOP_SLACK_MS) return false;
          return holdLive(hold, now + later) === now + later < end;
        },
      ),
    );
  });
});

describe("bound across grants at changing TTLs (property)", () => {
  // An operator may lower the product's TTL while a job runs; a renewal's answer may be lost. The agent runs the
  // engine by the last grant it heard; the hold, made at the loss with the governing TTL THEN, must still outlast it.
  it("a hold outlasts the agent's lapse after whichever grant it heard last", () => {
    const grant = fc.record({ gap: fc.integer({ min: 0, max: 600_000 }), ttl: fc.integer({ min: 5, max: 3600 }) });
    fc.assert(
      fc.property(
        fc.array(grant, { minLength: 1, maxLength: 6 }),
        fc.nat(5),
        fc.integer({ min: 5, max: 3600 }),
        fc.integer({ min: 0, max: 600_000 }),
        (grants, heardPick, governingNow, lossGap) => {
          let at = NOW;
          let stopsBy: number | undefined;
          const expiries: Array<{ expiresAt: number; ttl: number }> = [];
          for (const g of grants) {
            at += g.gap;
            const expiresAt = at + g.ttl * 1000;
            stopsBy = stopsByAfterGrant(stopsBy, expiresAt, g.ttl);
            expiries.push({ expiresAt, ttl: g.ttl });
          }
          const heard = expiries[heardPick % expiries.length]!;
          const last = expiries[expiries.length - 1]!;
          const lostAt = at + lossGap;
          const taken = { ...running, leaseExpiresAt: last.expiresAt, leaseStopsBy: stopsBy };
          const agentKills = heard.expiresAt + lapseGraceMs(heard.ttl) + CANCEL_GRACE_MS;
          const hold = holdAfterLeaseLoss(taken, lostAt, governingNow);
          // No hold only once the engine has stopped on its own; else the hold ends no sooner than it does.
          return hold === undefined ? agentKills <= lostAt : hold.until >= agentKills;
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
      `serial key repo/main is held while job job_a stops on factory fac_1 (its lease ended; free once that ` +
        `factory says it stopped, at the latest ${new Date(NOW + 60_000).toISOString().slice(0, 19)}Z)`,
    );
  });

  it("a running holder is named first; a job waiting on its own previous run says so", () => {
    const waiting = job(NOW, { id: "job_b", serialKey: "repo/main" });
    const both = gateReason(waiting, ctx, "held", new Map([["repo/main", "job_c"]]), new Map([["repo/main", hold]]));
    expect(both?.message).toBe("serial key repo/main is held by job job_c; it runs after");
    expect(holdMessage(hold, "job_a")).toMatch(/^serial key repo\/main is held while this job's previous run stops/);
  });
});
