// Health (core/health): a factory is degraded after 1 missed heartbeat and down after 3, with one interval of
// grace for a late beat — the same rule core/lease gives the registry and router; stuck and starving thresholds
// are strict "longer than", starving counted from when a wait began, else from when a retry's backoff ended, and
// `starvingAt` and `stuckAt` are the whole ms from which they hold, for whole and fractional thresholds (property);
// a product stalls only while work waits, 2 × the expected interval after the later of its last finish and the
// oldest waiting work's arrival (property: never stalled with no work waiting), where work in a retry's backoff
// arrives when its backoff ends: a product whose only work is in backoff is not stalled, and is 2 × the interval
// after the backoff ends (property: stalled iff some job's own wait began 2 × the interval ago).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  heartbeatHealth,
  isStarving,
  isStuck,
  missedHeartbeats,
  nextHeartbeatCrossing,
  oldestWaitingSince,
  productHealth,
  starvingAt,
  starvingFrom,
  stuckAt,
} from "../../src/core/health.ts";
import { factoryHealthAt, HEARTBEAT } from "../../src/core/lease.ts";

const I = 15_000;
const NOW = 1_700_000_000_000;
const MIN = 60_000;
/**
 * A stuck or starving threshold as settings take it (core/settings `ThresholdMinutes`): whole minutes, and fractions
 * from 0.05 min up to a week — 0.123456 min is 7,407.36 ms, not a whole ms.
 */
const thresholdMinutes = fc.oneof(
  fc.integer({ min: 1, max: 7 * 24 * 60 }),
  fc.double({ min: 0.05, max: 7 * 24 * 60, noNaN: true }),
  fc
    .integer({ min: 50_000, max: 7 * 24 * 60 * 1e6 })
    .map((k) => k / 1e6), // six decimals, as typed
);
const calm = { openAlerts: { info: 0, warning: 0, critical: 0 }, factories: { ok: 1, degraded: 0, down: 0 } };

describe("heartbeats", () => {
  it.each([
    [0, 0, "ok"],
    [2 * I - 1, 0, "ok"],
    [2 * I, 1, "degraded"],
    [4 * I - 1, 2, "degraded"],
    [4 * I, 3, "down"],
  ])("%i ms of silence = %i missed = %s", (silence, missed, health) => {
    expect(missedHeartbeats(silence, I)).toBe(missed);
    expect(heartbeatHealth(NOW - silence, NOW, I)).toBe(health);
  });

  it("is the rule core/lease applies for the registry and the router", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * I }), (silence) => {
        expect(factoryHealthAt(NOW - silence, NOW)).toBe(heartbeatHealth(NOW - silence, NOW, HEARTBEAT.intervalMs));
      }),
    );
  });

  it("names the next instant health changes, none once down", () => {
    expect(nextHeartbeatCrossing(NOW, NOW, I)).toBe(NOW + 2 * I);
    expect(nextHeartbeatCrossing(NOW, NOW + 2 * I, I)).toBe(NOW + 4 * I);
    expect(nextHeartbeatCrossing(NOW, NOW + 4 * I, I)).toBeUndefined();
  });
});

describe("stuck and starving", () => {
  it("holds only once the threshold has passed", () => {
    expect(isStuck(NOW - 30 * MIN, NOW, 30)).toBe(false);
    expect(isStuck(NOW - 30 * MIN - 1, NOW, 30)).toBe(true);
    expect(isStarving(NOW - 60 * MIN, NOW, 60)).toBe(false);
    expect(isStarving(NOW - 60 * MIN - 1, NOW, 60)).toBe(true);
  });

  it("starts a job's starving clock when its wait began, else when its backoff ends", () => {
    expect(starvingFrom({ queuedAt: NOW })).toBe(NOW);
    expect(starvingFrom({ queuedAt: NOW, notBefore: NOW + 7 * MIN })).toBe(NOW + 7 * MIN);
    expect(starvingFrom({ queuedAt: NOW, notBefore: NOW - 7 * MIN })).toBe(NOW);
    // A lost lease or a rate limit did not end the wait: measured from its beginning, backoff or not.
    expect(starvingFrom({ queuedAt: NOW, notBefore: NOW + 7 * MIN, waitingSince: NOW - MIN })).toBe(NOW - MIN);
  });

  it("names an instant from which the job is starving, and not before it (thresholds as settings allow them)", () => {
    fc.assert(
      fc.property(thresholdMinutes, fc.integer({ min: 0, max: 60 * MIN }), (m, later) => {
        const at = starvingAt(NOW, m);
        expect(Number.isInteger(at)).toBe(true); // the alarm's clock: whole ms
        expect(isStarving(NOW, at + later, m)).toBe(true);
        expect(isStarving(NOW, at - 1, m)).toBe(false);
      }),
    );
  });
});

describe("stuckAt", () => {
  it("a threshold of 0.123456 min (7,407.36 ms): stuck from 7,408 ms after the last event, and says 7,408", () => {
    // It said 7,408.36: the health pass (due when that instant ≤ now) ran a ms after the job was stuck.
    expect(stuckAt(NOW, 0.123456)).toBe(NOW + 7_408);
    expect(isStuck(NOW, NOW + 7_408, 0.123456)).toBe(true);
    expect(isStuck(NOW, NOW + 7_407, 0.123456)).toBe(false);
    expect(starvingAt(NOW, 0.123456)).toBe(NOW + 7_408);
  });

  it("names an instant from which the job is stuck, and not before it (thresholds as settings allow them)", () => {
    fc.assert(
      fc.property(thresholdMinutes, fc.integer({ min: 0, max: 60 * MIN }), (m, later) => {
        const at = stuckAt(NOW, m);
        expect(Number.isInteger(at)).toBe(true);
        expect(isStuck(NOW, at + later, m)).toBe(true);
        expect(isStuck(NOW, at - 1, m)).toBe(false);
      }),
    );
  });
});

describe("product health", () => {
  const base = { ...calm, expectedFinishIntervalMinutes: 30 };

  it("is stalled when nothing finished for 2 × the interval while work waits", () => {
    const waiting = { ...base, lastFinishedAt: NOW - 61 * MIN, oldestWaitingSince: NOW - 70 * MIN };
    expect(productHealth(waiting, NOW)).toBe("stalled");
    expect(productHealth({ ...waiting, lastFinishedAt: NOW - 59 * MIN }, NOW)).toBe("healthy");
    // Work that arrived after the last finish is measured from its arrival.
    expect(productHealth({ ...waiting, oldestWaitingSince: NOW - 10 * MIN }, NOW)).toBe("healthy");
  });

  it("is degraded with a warning or critical alert open, or a factory degraded or down", () => {
    expect(productHealth({ ...base, openAlerts: { info: 1, warning: 0, critical: 0 } }, NOW)).toBe("healthy");
    expect(productHealth({ ...base, openAlerts: { info: 0, warning: 1, critical: 0 } }, NOW)).toBe("degraded");
    expect(productHealth({ ...base, factories: { ok: 1, degraded: 0, down: 1 } }, NOW)).toBe("degraded");
  });

  it("is never stalled while no work waits (property)", () => {
    fc.assert(
      fc.property(fc.option(fc.integer({ min: 0, max: NOW })), fc.integer({ min: 1, max: 10_000 }), (last, every) => {
        const h = productHealth(
          { ...base, expectedFinishIntervalMinutes: every, lastFinishedAt: last ?? undefined },
          NOW,
        );
        expect(h).not.toBe("stalled");
      }),
    );
  });

  it("is not stalled while its only work waits out a backoff, and is 2 × the interval after it ends", () => {
    const inBackoff = { queuedAt: NOW - 120 * MIN, notBefore: NOW + 30 * MIN }; // failed 2 h ago, 30 min to go
    const health = (at: number) => productHealth({ ...base, oldestWaitingSince: oldestWaitingSince([inBackoff]) }, at);
    expect(health(NOW)).toBe("healthy");
    expect(health(NOW + 30 * MIN + 60 * MIN - 1)).toBe("healthy");
    expect(health(NOW + 30 * MIN + 60 * MIN)).toBe("stalled");
    expect(oldestWaitingSince([])).toBeUndefined();
  });

  it("is stalled exactly when some job's own wait began 2 × the interval after the last finish (property)", () => {
    const queuedAt = fc.integer({ min: NOW - 600 * MIN, max: NOW });
    const job = fc.record(
      {
        queuedAt,
        notBefore: fc.integer({ min: NOW - 600 * MIN, max: NOW + 600 * MIN }),
        waitingSince: fc.integer({ min: NOW - 900 * MIN, max: NOW - 600 * MIN }),
      },
      { requiredKeys: ["queuedAt"] },
    );
    // Queues of backoffs only, and such queues beside other work: where the requeue and the backoff's end disagree.
    const backoff = fc.record({ queuedAt, notBefore: fc.integer({ min: NOW + 1, max: NOW + 600 * MIN }) });
    const queue = fc.oneof(
      fc.array(job, { minLength: 1, maxLength: 6 }),
      fc.array(backoff, { minLength: 1, maxLength: 3 }),
      fc
        .tuple(fc.array(backoff, { minLength: 1, maxLength: 3 }), fc.array(job, { maxLength: 3 }))
        .map(([a, b]) => [...a, ...b]),
    );
    fc.assert(
      fc.property(
        queue,
        fc.option(fc.integer({ min: NOW - 900 * MIN, max: NOW })),
        fc.integer({ min: 1, max: 300 }),
        (queue, last, every) => {
          const i = { ...base, expectedFinishIntervalMinutes: every, lastFinishedAt: last ?? undefined };
          const late = queue.some((j) => {
            const since = starvingFrom(j);
            return since <= NOW && NOW >= Math.max(last ?? since, since) + 2 * every * MIN;
          });
          const h = productHealth({ ...i, oldestWaitingSince: oldestWaitingSince(queue) }, NOW);
          expect(h === "stalled").toBe(late);
        },
      ),
    );
  });
});
