// An operator's breaker reset (core/breaker `resetBreaker`): from any state it closes the breaker with no failures
// counted and the cool-down ladder back at its base (the next trip waits the base cool-down, not a doubled one); a
// closed, clean breaker comes back equal (nothing to reset). A trial out at the reset is overridden: its late end —
// failure at threshold 1, waitless rate limit, success, neutral — moves nothing but its ref (stale: no error budget
// counts it), while its rate limit that states a wait opens it until now + N, as the engine is limited now; so does
// any run granted strictly before the reset's instant (`resetAt`), kept across a new trip; and with resets anywhere in a history, half-open still admits exactly one trial and only THE trial settles it.
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
  resetBreaker,
} from "../../src/core/breaker.ts";
import type { BreakerSettings } from "../../src/core/settings.ts";

const NOW = 1_700_000_000_000;
const S: BreakerSettings = { failureThreshold: 1, coolDownSeconds: 60, maxCoolDownSeconds: 3600 };
const fail: BreakerEvent = { kind: "failure" };
const ref = (n: number, leaseEpoch = 1): RunRef => ({ jobId: `j${n}`, leaseEpoch });
const TRIAL = ref(50);

/** Tripped by one failure (threshold 1), its first trial failed (cool-down doubled), half-open again, `TRIAL` out. */
function halfOpenTwice(): { b: Breaker; at: number } {
  const open = onRunEnd({ ...CLOSED }, fail, ref(0), NOW, S).next;
  const first = admit(open, ref(1), (open.openUntil ?? 0) + 1);
  const again = onRunEnd(first, fail, ref(1), (open.openUntil ?? 0) + 2, S).next;
  expect(again.coolDownSeconds).toBe(120); // the ladder climbed: the reset must bring it back
  const at = (again.openUntil ?? 0) + 1;
  return { b: admit(again, TRIAL, at), at };
}

describe("resetBreaker", () => {
  it("closes an open breaker: no failures, no cool-down, nothing blocks routing", () => {
    const open = onRunEnd({ ...CLOSED }, fail, ref(0), NOW, S).next;
    expect(breakerState(open, NOW)).toBe("open");
    const reset = resetBreaker(open);
    expect(reset).toEqual({ consecutiveFailures: 0 });
    expect(breakerState(reset, NOW)).toBe("closed");
    expect(blocksRouting(reset, NOW)).toBe(false);
  });

  it("clears the cool-down ladder: the next trip waits the base cool-down, not the doubled one", () => {
    const { b, at } = halfOpenTwice();
    const reset = resetBreaker(b);
    const tripped = onRunEnd(reset, fail, ref(60), at + 5, S);
    expect(tripped.tripped).toBe(true);
    expect(tripped.next.coolDownSeconds).toBe(60);
    expect(tripped.next.openUntil).toBe(at + 5 + 60_000);
  });

  it("a closed breaker with failures counted is cleared; a clean one comes back equal (nothing to reset)", () => {
    const counted = onRunEnd({ ...CLOSED }, fail, ref(0), NOW, { ...S, failureThreshold: 5 }).next;
    expect(counted.consecutiveFailures).toBe(1);
    expect(resetBreaker(counted)).toEqual({ consecutiveFailures: 0 });
    expect(resetBreaker({ ...CLOSED })).toEqual(CLOSED);
  });

  it("the trial out at the reset is overridden: its late failure, waitless rate limit or success moves nothing", () => {
    const { b, at } = halfOpenTwice();
    const reset = resetBreaker(b);
    expect(reset).toEqual({ consecutiveFailures: 0, overriddenTrial: TRIAL });
    const late: BreakerEvent[] = [fail, { kind: "rate_limited" }, { kind: "rate_limited", retryAfterSeconds: 0 }];
    for (const event of [...late, { kind: "success" } as const, { kind: "neutral" } as const]) {
      const t = onRunEnd(reset, event, TRIAL, at + 10, S);
      // `stale`: no evidence about the engine now, so the coordinator counts it against no error budget either.
      expect(t).toEqual({ next: { consecutiveFailures: 0 }, tripped: false, closed: false, stale: true });
    }
    // The same job under another lease epoch is another run: it counts (threshold 1: it trips).
    expect(onRunEnd(reset, fail, { ...TRIAL, leaseEpoch: 2 }, at + 10, S).tripped).toBe(true);
  });

  it("the overridden trial's rate limit with a stated wait is honoured: open until now + N, never sooner", () => {
    const { b, at } = halfOpenTwice();
    const t = onRunEnd(resetBreaker(b), { kind: "rate_limited", retryAfterSeconds: 30 }, TRIAL, at + 10, S);
    // The wait states the engine's limit as it is now, whoever hit it; the cool-down ladder is not touched.
    const next = { consecutiveFailures: 0, openUntil: at + 10 + 30_000 };
    expect(t).toEqual({ next, tripped: true, closed: false, stale: true });
    expect(breakerState(t.next, at + 10 + 29_999)).toBe("open");
  });

  it("a run granted before the reset (startedAt < resetAt) ends stale; one granted at or after it counts", () => {
    const open = onRunEnd({ ...CLOSED }, fail, ref(0), NOW, S).next;
    const at = NOW + 5_000;
    const reset = resetBreaker(open, at);
    expect(reset).toEqual({ consecutiveFailures: 0, resetAt: at });
    const before = { ...ref(1), startedAt: at - 1 };
    // Threshold 1: counted, it would re-trip the breaker the operator just closed.
    expect(onRunEnd(reset, fail, before, at + 10, S)).toEqual({
      next: reset,
      tripped: false,
      closed: false,
      stale: true,
    });
    const stated = onRunEnd(reset, { kind: "rate_limited", retryAfterSeconds: 9 }, before, at + 10, S);
    expect([stated.tripped, stated.next.openUntil, stated.stale]).toEqual([true, at + 10 + 9_000, true]);
    // The reset's own ms may be the first pass it asked for: that run counts, and the instant survives the trip.
    const tripped = onRunEnd(reset, fail, { ...ref(2), startedAt: at }, at + 10, S);
    expect([tripped.tripped, tripped.stale, tripped.next.resetAt]).toEqual([true, undefined, at]);
    // A run from before the reset ending once the breaker re-opened still moves nothing.
    expect(onRunEnd(tripped.next, fail, before, at + 20, S).next).toEqual(tripped.next);
  });

  it("a success of another run keeps the overridden trial's ref, so its later failure still moves nothing", () => {
    const { b, at } = halfOpenTwice();
    const afterOk = onRunEnd(resetBreaker(b), { kind: "success" }, ref(70), at + 1, S).next;
    expect(afterOk.overriddenTrial).toEqual(TRIAL);
    expect(onRunEnd(afterOk, fail, TRIAL, at + 2, S).next).toEqual({ consecutiveFailures: 0 });
  });

  it("a new trip drops the overridden ref: the old trial is then a run from before the trip, and only counts", () => {
    const { b, at } = halfOpenTwice();
    const reopened = onRunEnd(resetBreaker(b), { kind: "rate_limited", retryAfterSeconds: 5 }, ref(80), at, S).next;
    expect(reopened.overriddenTrial).toBeUndefined();
    const half = (reopened.openUntil ?? 0) + 1;
    const newTrial = admit(reopened, ref(81), half);
    expect(newTrial.trial).toEqual(ref(81)); // the slot is free for a new trial
    const late = onRunEnd(newTrial, fail, TRIAL, half + 1, S).next;
    expect(late.trial).toEqual(ref(81)); // the old trial's failure settles nothing
    expect(blocksRouting(late, half + 1)).toBe(true);
  });
});

describe("resetBreaker properties", () => {
  const anyEvent = fc.oneof(
    fc.constant<BreakerEvent>({ kind: "success" }),
    fc.constant<BreakerEvent>(fail),
    fc.constant<BreakerEvent>({ kind: "neutral" }),
    fc.integer({ min: 0, max: 900 }).map((n): BreakerEvent => ({ kind: "rate_limited", retryAfterSeconds: n })),
  );
  const settingsArb = fc.record({
    failureThreshold: fc.integer({ min: 1, max: 3 }),
    coolDownSeconds: fc.integer({ min: 1, max: 120 }),
    maxCoolDownSeconds: fc.constant(600),
  });
  const stepsArb = fc.array(
    fc.record({
      gapSeconds: fc.integer({ min: 0, max: 300 }),
      assign: fc.boolean(),
      reset: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      end: fc.option(fc.record({ pick: fc.nat(), event: anyEvent }), { freq: 2 }),
    }),
    { maxLength: 80 },
  );

  it("with resets anywhere: one trial at a time, only its end settles it, a run from before a reset moves nothing", () => {
    fc.assert(
      fc.property(settingsArb, stepsArb, (s, steps) => {
        let b: Breaker = { ...CLOSED };
        let now = NOW;
        let trial: RunRef | undefined; // the model: the run a half-open breaker admitted, while it is out
        let lastReset: number | undefined; // runs granted strictly before it end stale
        const out: Array<RunRef & { startedAt: number }> = [];
        for (const [i, step] of steps.entries()) {
          now += step.gapSeconds * 1000;
          if (step.reset) {
            b = resetBreaker(b, now);
            trial = undefined;
            lastReset = now;
            expect(breakerState(b, now)).toBe("closed");
            expect([b.consecutiveFailures, b.openUntil, b.coolDownSeconds, b.trial]).toEqual([
              0,
              undefined,
              undefined,
              undefined,
            ]);
          }
          if (step.assign && !blocksRouting(b, now)) {
            if (breakerState(b, now) === "half_open") trial = ref(i);
            out.push({ ...ref(i), startedAt: now });
            b = admit(b, ref(i), now);
          }
          if (step.end && out.length > 0) {
            const [ended] = out.splice(step.end.pick % out.length, 1);
            const overridden = b.overriddenTrial?.jobId === ended?.jobId;
            const t = onRunEnd(b, step.end.event, ended!, now, s);
            if (overridden) {
              const { overriddenTrial: _o, ...rest } = b;
              const wait = step.end.event.kind === "rate_limited" ? (step.end.event.retryAfterSeconds ?? 0) : 0;
              // A stated wait is honoured (open until now + N); any other end moves nothing but the ref.
              const next = wait > 0 ? { ...rest, openUntil: now + wait * 1000 } : rest;
              expect(t).toEqual({ next, tripped: wait > 0, closed: false, stale: true });
            }
            const before = lastReset !== undefined && ended!.startedAt < lastReset;
            if (before && !overridden) {
              // Any other run granted before the reset: stale too; only a stated wait moves it (never shortening).
              expect(t.stale).toBe(true);
              const wait = step.end.event.kind === "rate_limited" ? (step.end.event.retryAfterSeconds ?? 0) : 0;
              if (wait === 0) expect(t.next).toEqual(b);
              else expect(t.next.openUntil).toBe(Math.max(b.openUntil ?? 0, now + wait * 1000));
            }
            if (!before && !overridden) expect(t.stale).toBeUndefined();
            b = t.next;
            if (ended?.jobId === trial?.jobId || (step.end.event.kind === "success" && !t.stale)) trial = undefined;
          }
          expect(b.trial).toEqual(trial);
          // The ref lives only on a closed breaker, so the stored columns can never be read as a live trial.
          if (b.overriddenTrial) expect([breakerState(b, now), b.trial]).toEqual(["closed", undefined]);
          if (trial && breakerState(b, now) !== "closed") expect(blocksRouting(b, now)).toBe(true);
        }
      }),
    );
  });
});
