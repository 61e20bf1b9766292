// Circuit breaker per factory × engine (core/breaker): opens after N consecutive failures, half-opens after a
// cool-down that doubles on each failed trial and never exceeds the cap, admits exactly one trial run and lets only
// that run's end settle it or free its slot (a run from before the trip cannot), closes on success, and on a rate
// limit opens for retryAfterSeconds (the base cool-down when none is given) without ever shortening an open
// cool-down. Also: the router's breaker filter with `overflow: route|hold` never lets a job through a hard filter it
// fails otherwise.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  admit,
  type Breaker,
  type BreakerEvent,
  blocksRouting,
  breakerState,
  CLOSED,
  nextCoolDown,
  onRunEnd,
  type RunRef,
} from "../../src/core/breaker.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import { type RouteContext, scoreCandidate } from "../../src/core/router.ts";
import type { BreakerSettings } from "../../src/core/settings.ts";

const NOW = 1_700_000_000_000;
const S: BreakerSettings = { failureThreshold: 5, coolDownSeconds: 60, maxCoolDownSeconds: 3600 };
const fail: BreakerEvent = { kind: "failure" };
const ok: BreakerEvent = { kind: "success" };
const neutral: BreakerEvent = { kind: "neutral" };
const ref = (n: number, leaseEpoch = 1): RunRef => ({ jobId: `j${n}`, leaseEpoch });
/** A run that is nobody's trial. */
const OTHER = ref(999);

function run(events: BreakerEvent[], start: Breaker = { ...CLOSED }, t0 = NOW): Breaker {
  let b = start;
  for (const [i, e] of events.entries()) b = onRunEnd(b, e, ref(i), t0 + i, S).next;
  return b;
}

/** Tripped by five failures, then half-open at the returned instant with `trial` admitted. */
function halfOpenWithTrial(trial: RunRef): { b: Breaker; at: number } {
  const open = run(Array(5).fill(fail));
  const at = (open.openUntil ?? 0) + 1;
  return { b: admit(open, trial, at), at };
}

describe("breaker transitions", () => {
  it("opens after failureThreshold consecutive failures, not before", () => {
    expect(breakerState(run(Array(4).fill(fail)), NOW + 10)).toBe("closed");
    const t = onRunEnd(run(Array(4).fill(fail)), fail, OTHER, NOW + 10, S);
    expect(t.tripped).toBe(true);
    expect(t.next.openUntil).toBe(NOW + 10 + 60_000);
    expect(breakerState(t.next, NOW + 10 + 59_999)).toBe("open");
    expect(breakerState(t.next, NOW + 10 + 60_000)).toBe("half_open");
  });

  it("a success resets the count of consecutive failures", () => {
    const b = run([fail, fail, fail, fail, ok, fail, fail, fail, fail]);
    expect(breakerState(b, NOW + 100)).toBe("closed");
    expect(b.consecutiveFailures).toBe(4);
  });

  it("half-open admits one trial; a failed trial doubles the cool-down, a successful one closes", () => {
    const open = run(Array(5).fill(fail));
    const at = (open.openUntil ?? 0) + 1;
    expect(blocksRouting(open, at)).toBe(false);
    const trial = admit(open, ref(10), at);
    expect(trial.trial).toEqual(ref(10));
    expect(blocksRouting(trial, at)).toBe(true);
    expect(admit(trial, ref(11), at)).toBe(trial); // a second admission names no second trial
    const failed = onRunEnd(trial, fail, ref(10), at + 5, S);
    expect(failed.tripped).toBe(true);
    expect(failed.next.coolDownSeconds).toBe(120);
    expect(failed.next.openUntil).toBe(at + 5 + 120_000);
    expect(failed.next.trial).toBeUndefined();
    const again = admit(failed.next, ref(12), (failed.next.openUntil ?? 0) + 1);
    const closed = onRunEnd(again, ok, ref(12), (failed.next.openUntil ?? 0) + 2, S);
    expect(closed.closed).toBe(true);
    expect(closed.next).toEqual(CLOSED);
  });

  it("a neutral end frees the trial slot only when it is the trial's own (job and lease epoch)", () => {
    const { b, at } = halfOpenWithTrial(ref(10, 3));
    // A run from before the trip cancelled, or the trial job's earlier lease: the trial is still out.
    for (const other of [OTHER, ref(10, 2)]) {
      const t = onRunEnd(b, neutral, other, at, S);
      expect(t.next).toEqual(b);
      expect(blocksRouting(t.next, at)).toBe(true);
    }
    const freed = onRunEnd(b, neutral, ref(10, 3), at, S);
    expect(freed.next.trial).toBeUndefined();
    expect(blocksRouting(freed.next, at)).toBe(false);
    expect(onRunEnd({ ...CLOSED }, neutral, OTHER, NOW, S).next).toEqual(CLOSED);
  });

  it("a run from before the trip failing while half-open only counts: the trial decides", () => {
    const { b, at } = halfOpenWithTrial(ref(10));
    const t = onRunEnd(b, fail, OTHER, at + 1, S);
    expect(t.tripped).toBe(false);
    expect(t.next).toEqual({ ...b, consecutiveFailures: 6 });
    expect(breakerState(t.next, at + 1)).toBe("half_open");
    expect(blocksRouting(t.next, at + 1)).toBe(true);
  });

  it("a rate limit opens the breaker for retryAfterSeconds from closed; with no wait given, the base cool-down", () => {
    const t = onRunEnd({ ...CLOSED }, { kind: "rate_limited", retryAfterSeconds: 42 }, OTHER, NOW, S);
    expect(t.tripped).toBe(true);
    expect(t.next.openUntil).toBe(NOW + 42_000);
    for (const event of [{ kind: "rate_limited", retryAfterSeconds: 0 }, { kind: "rate_limited" }] as const) {
      const none = onRunEnd({ ...CLOSED }, event, OTHER, NOW, S);
      expect(none.next.openUntil).toBe(NOW + 60_000);
      expect(breakerState(none.next, NOW)).toBe("open");
      expect(none.tripped).toBe(true);
    }
    const bad = { kind: "rate_limited", retryAfterSeconds: -1 } as const;
    expect(() => onRunEnd({ ...CLOSED }, bad, OTHER, NOW, S)).toThrow(RangeError);
  });

  it("a rate limit never shortens an open breaker's cool-down, and is no new trip while open", () => {
    const open = run(Array(5).fill(fail)); // open until NOW + 4 + 60 s
    for (const retryAfterSeconds of [1, 30]) {
      const t = onRunEnd(open, { kind: "rate_limited", retryAfterSeconds }, OTHER, NOW + 10, S);
      expect(t.next.openUntil).toBe(open.openUntil);
      expect(t.tripped).toBe(false);
    }
    const longer = onRunEnd(open, { kind: "rate_limited", retryAfterSeconds: 600 }, OTHER, NOW + 10, S);
    expect(longer.next.openUntil).toBe(NOW + 10 + 600_000);
    expect(longer.tripped).toBe(false);
  });

  it("a rate limit while half-open re-opens; the trial stays out unless it was the trial's end", () => {
    const { b, at } = halfOpenWithTrial(ref(10));
    const stale = onRunEnd(b, { kind: "rate_limited", retryAfterSeconds: 5 }, OTHER, at, S);
    expect(stale.tripped).toBe(true);
    expect(stale.next.trial).toEqual(ref(10));
    expect(blocksRouting(stale.next, at + 5_000)).toBe(true); // half-open again, trial still out
    const own = onRunEnd(b, { kind: "rate_limited", retryAfterSeconds: 5 }, ref(10), at, S);
    expect(own.next.trial).toBeUndefined();
    expect(blocksRouting(own.next, at + 5_000)).toBe(false);
  });
});

const settingsArb = fc
  .record({ failureThreshold: fc.integer({ min: 1, max: 10 }), coolDownSeconds: fc.integer({ min: 1, max: 600 }) })
  .chain((s) =>
    fc.integer({ min: s.coolDownSeconds, max: 7 * 86_400 }).map((max) => ({ ...s, maxCoolDownSeconds: max })),
  );
const eventArb: fc.Arbitrary<BreakerEvent> = fc.oneof(
  fc.constant<BreakerEvent>({ kind: "failure" }),
  fc.constant<BreakerEvent>({ kind: "success" }),
  fc.constant<BreakerEvent>({ kind: "neutral" }),
);
// Steps: an event after a gap (s), optionally preceded by an assignment (admit), ending the oldest run out.
const stepsArb = fc.array(
  fc.record({ event: eventArb, gapSeconds: fc.integer({ min: 0, max: 20_000 }), assign: fc.boolean() }),
  { maxLength: 60 },
);

/** Replays `steps` with the runs out kept in order: each step's event ends the oldest one (its own id if none). */
function replay(s: BreakerSettings, steps: Array<{ event: BreakerEvent; gapSeconds: number; assign: boolean }>) {
  let b: Breaker = { ...CLOSED };
  let now = NOW;
  const out: RunRef[] = [];
  const seen: Array<{ b: Breaker; now: number }> = [];
  for (const [i, step] of steps.entries()) {
    now += step.gapSeconds * 1000;
    if (step.assign && !blocksRouting(b, now)) {
      out.push(ref(i));
      b = admit(b, ref(i), now);
    }
    b = onRunEnd(b, step.event, out.shift() ?? ref(-1 - i), now, s).next;
    seen.push({ b, now });
  }
  return seen;
}

describe("breaker properties", () => {
  it("the cool-down never exceeds the cap, and an open period never lasts longer than it", () => {
    fc.assert(
      fc.property(settingsArb, stepsArb, (s, steps) => {
        for (const { b, now } of replay(s, steps)) {
          if (b.coolDownSeconds !== undefined) expect(b.coolDownSeconds).toBeLessThanOrEqual(s.maxCoolDownSeconds);
          if (b.openUntil !== undefined) expect(b.openUntil - now).toBeLessThanOrEqual(s.maxCoolDownSeconds * 1000);
        }
        expect(nextCoolDown(s.maxCoolDownSeconds, s)).toBe(s.maxCoolDownSeconds);
      }),
    );
  });

  it("successes (and neutral ends) never open a closed breaker", () => {
    const calm = fc.array(fc.oneof(fc.constant<BreakerEvent>(ok), fc.constant<BreakerEvent>(neutral)));
    fc.assert(
      fc.property(settingsArb, calm, (s, events) => {
        let b: Breaker = { ...CLOSED };
        for (const [i, e] of events.entries()) {
          const t = onRunEnd(b, e, ref(i), NOW, s);
          expect(t.tripped).toBe(false);
          b = t.next;
          expect(breakerState(b, NOW)).toBe("closed");
        }
      }),
    );
  });

  // Runs out at once, any of them ending with any outcome (rate limits included): the breaker's trial is always
  // exactly the run a half-open breaker admitted, until that run ends or the breaker closes — so while it is out
  // no second run gets through, whichever other runs end meanwhile.
  const anyEvent = fc.oneof(
    eventArb,
    fc.integer({ min: 0, max: 900 }).map((n): BreakerEvent => ({ kind: "rate_limited", retryAfterSeconds: n })),
  );
  // Small thresholds and cool-downs, so histories often trip, half-open and admit while older runs are still out.
  const tripsArb = fc.record({
    failureThreshold: fc.integer({ min: 1, max: 3 }),
    coolDownSeconds: fc.integer({ min: 1, max: 120 }),
    maxCoolDownSeconds: fc.constant(600),
  });
  const runStepsArb = fc.array(
    fc.record({
      gapSeconds: fc.integer({ min: 0, max: 300 }),
      assign: fc.integer({ min: 0, max: 3 }).map((n) => n > 0),
      end: fc.option(fc.record({ pick: fc.nat(), event: anyEvent }), { freq: 2 }),
    }),
    { maxLength: 80 },
  );

  it("half-open never admits two trials: the trial stays out until its own run ends", () => {
    fc.assert(
      fc.property(tripsArb, runStepsArb, (s, steps) => {
        let b: Breaker = { ...CLOSED };
        let now = NOW;
        let trial: RunRef | undefined; // the model: the run admitted as the trial, while it is out
        const out: RunRef[] = [];
        for (const [i, step] of steps.entries()) {
          now += step.gapSeconds * 1000;
          if (step.assign && !blocksRouting(b, now)) {
            if (breakerState(b, now) === "half_open") trial = ref(i);
            out.push(ref(i));
            b = admit(b, ref(i), now);
          }
          if (step.end && out.length > 0) {
            const [ended] = out.splice(step.end.pick % out.length, 1);
            b = onRunEnd(b, step.end.event, ended!, now, s).next;
            if (ended?.jobId === trial?.jobId || step.end.event.kind === "success") trial = undefined;
          }
          expect(b.trial).toEqual(trial);
          if (trial && breakerState(b, now) !== "closed") expect(blocksRouting(b, now)).toBe(true);
        }
      }),
    );
  });

  it("runs from before the trip ending in any way but success, in any order, never let a second trial out", () => {
    const staleEnd = fc.record({
      gapSeconds: fc.integer({ min: 0, max: 900 }),
      event: fc.oneof(
        fc.constant<BreakerEvent>(neutral),
        fc.constant<BreakerEvent>(fail),
        fc.integer({ min: 0, max: 900 }).map((n): BreakerEvent => ({ kind: "rate_limited", retryAfterSeconds: n })),
      ),
    });
    fc.assert(
      fc.property(tripsArb, fc.array(staleEnd, { minLength: 1, maxLength: 10 }), (s, ends) => {
        // Runs 0…n-1 failed and tripped it; runs 100… are still out.
        let b: Breaker = { ...CLOSED };
        for (let i = 0; i < s.failureThreshold; i++) b = onRunEnd(b, fail, ref(i), NOW, s).next;
        let now = (b.openUntil ?? 0) + 1;
        b = admit(b, ref(50), now);
        for (const [i, end] of ends.entries()) {
          now += end.gapSeconds * 1000;
          b = onRunEnd(b, end.event, ref(100 + i), now, s).next;
          expect(b.trial).toEqual(ref(50));
          expect(blocksRouting(b, now)).toBe(true);
        }
      }),
    );
  });
});

const job = (over: Partial<Job> = {}): Job =>
  ({
    id: "j1",
    stage: "queued",
    priority: "medium",
    requires: [],
    prefers: [],
    budget: {},
    queuedAt: NOW,
    ...over,
  }) as Job;
const factory = (id: string, over: Partial<Factory> = {}): Factory => ({
  id,
  productId: "p",
  name: id,
  capabilities: ["engine:claude"],
  seats: 2,
  load: 0,
  health: "ok",
  status: "active",
  createdAt: NOW,
  ...over,
});

describe("router breaker filter and overflow", () => {
  it("route: an open breaker on f1 keeps the job off f1 only; hold: off every factory", () => {
    const open = new Set(["f1:claude"]);
    const j = job({ engine: "claude" });
    for (const overflow of ["route", "hold"] as const) {
      const ctx: RouteContext = { now: NOW, openBreakers: open, overflow };
      expect(scoreCandidate(j, factory("f1"), ctx).reasons).toEqual(["breaker_open:claude"]);
      expect(scoreCandidate(j, factory("f2"), ctx).eligible).toBe(overflow === "route");
    }
  });

  it("a job that names no engine is kept off a factory whose default engine (*) is open", () => {
    const ctx: RouteContext = { now: NOW, openBreakers: new Set(["f1:*"]) };
    expect(scoreCandidate(job(), factory("f1"), ctx).reasons).toEqual(["breaker_open:*"]);
    expect(scoreCandidate(job(), factory("f2"), ctx).eligible).toBe(true);
  });

  it("property: the breaker filter never overrides another hard filter (overflow only removes factories)", () => {
    const fArb = fc.record({
      capabilities: fc.subarray(["engine:claude", "engine:codex", "gpu"]),
      load: fc.integer({ min: 0, max: 3 }),
      seats: fc.integer({ min: 1, max: 3 }),
      health: fc.constantFrom<Factory["health"]>("ok", "degraded", "down"),
      status: fc.constantFrom<Factory["status"]>("active", "draining", "quarantined"),
    });
    const keys = fc.subarray(["f1:claude", "f2:claude", "f1:codex", "f1:*", "f2:*"]);
    fc.assert(
      fc.property(
        fArb,
        fc.constantFrom(undefined, "claude", "codex"),
        fc.subarray(["gpu"]),
        keys,
        fc.constantFrom<"route" | "hold">("route", "hold"),
        (f, engine, requires, open, overflow) => {
          const j = job({ engine, requires });
          const without = scoreCandidate(j, factory("f1", f), { now: NOW });
          const withBreakers = scoreCandidate(j, factory("f1", f), { now: NOW, openBreakers: new Set(open), overflow });
          // Every reason without breakers is still there; the only one added is a breaker's.
          for (const r of without.reasons) expect(withBreakers.reasons).toContain(r);
          const added = withBreakers.reasons.filter((r) => !without.reasons.includes(r));
          for (const r of added) expect(r.startsWith("breaker_open:") || r.startsWith("overflow_hold:")).toBe(true);
          if (!without.eligible) expect(withBreakers.eligible).toBe(false);
        },
      ),
    );
  });
});
