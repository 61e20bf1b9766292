// The circuit breaker (core/breaker) under any clock, `now` being a parameter: with the clock stepping backwards as
// well as forwards, half-open never lets a second trial out while its trial runs, a trip always opens until a finite
// instant after `now`, and nothing becomes NaN; and from closed it opens exactly at the failureThreshold-th
// consecutive failure, never before (any threshold the settings allow).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  admit,
  type Breaker,
  type BreakerEvent,
  blocksRouting,
  breakerState,
  CLOSED,
  onRunEnd,
  type RunRef,
} from "../../src/core/breaker.ts";

const NOW = 1_700_000_000_000;
const ref = (n: number): RunRef => ({ jobId: `j${n}`, leaseEpoch: 1 });

const anyEvent = fc.oneof(
  fc.constant<BreakerEvent>({ kind: "success" }),
  fc.constant<BreakerEvent>({ kind: "failure" }),
  fc.constant<BreakerEvent>({ kind: "neutral" }),
  fc.constant<BreakerEvent>({ kind: "rate_limited" }),
  fc.integer({ min: 0, max: 86_400 }).map((n): BreakerEvent => ({ kind: "rate_limited", retryAfterSeconds: n })),
);
const settingsArb = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 3 }),
  coolDownSeconds: fc.integer({ min: 1, max: 120 }),
  maxCoolDownSeconds: fc.constant(600),
});
// Gaps of either sign: a coordinator moved to another host may read an earlier clock than the last unit did.
const stepsArb = fc.array(
  fc.record({
    gapSeconds: fc.integer({ min: -600, max: 600 }),
    assign: fc.boolean(),
    end: fc.option(fc.record({ pick: fc.nat(), event: anyEvent }), { freq: 2 }),
  }),
  { maxLength: 80 },
);

describe("breaker under a clock that steps back", () => {
  it("admits at most one trial at a time; trips open until a finite instant after now", () => {
    fc.assert(
      fc.property(settingsArb, stepsArb, (s, steps) => {
        let b: Breaker = { ...CLOSED };
        let now = NOW;
        let trial: RunRef | undefined; // the model: the half-open breaker's trial while it runs
        const out: RunRef[] = [];
        for (const [i, step] of steps.entries()) {
          now += step.gapSeconds * 1000;
          if (step.assign && !blocksRouting(b, now)) {
            if (breakerState(b, now) === "half_open") {
              expect(trial).toBeUndefined(); // a second trial while the first runs: never
              trial = ref(i);
            }
            out.push(ref(i));
            b = admit(b, ref(i), now);
          }
          if (step.end && out.length > 0) {
            const [ended] = out.splice(step.end.pick % out.length, 1);
            const t = onRunEnd(b, step.end.event, ended!, now, s);
            b = t.next;
            if (t.tripped) expect(b.openUntil).toBeGreaterThan(now);
            if (ended?.jobId === trial?.jobId || step.end.event.kind === "success") trial = undefined;
          }
          expect(b.trial).toEqual(trial);
          expect(Number.isInteger(b.consecutiveFailures) && b.consecutiveFailures >= 0).toBe(true);
          if (b.openUntil !== undefined) expect(Number.isFinite(b.openUntil)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("opens exactly at the failureThreshold-th consecutive failure, never before", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), (threshold) => {
        const s = { failureThreshold: threshold, coolDownSeconds: 60, maxCoolDownSeconds: 600 };
        let b: Breaker = { ...CLOSED };
        for (let i = 1; i <= threshold; i++) {
          const t = onRunEnd(b, { kind: "failure" }, ref(i), NOW + i, s);
          b = t.next;
          expect(t.tripped).toBe(i === threshold);
          expect(breakerState(b, NOW + i)).toBe(i === threshold ? "open" : "closed");
        }
        expect(b.openUntil).toBe(NOW + threshold + 60_000);
      }),
      { numRuns: 50 },
    );
  });
});
