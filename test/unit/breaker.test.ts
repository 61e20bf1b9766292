// Circuit breaker per factory × engine (core/breaker): opens after N consecutive failures, half-opens after a
// cool-down that doubles on each failed trial and never exceeds the cap, admits exactly one trial, closes on
// success, and opens for exactly `retryAfterSeconds` on a rate limit. Also: the router's breaker filter with
// `overflow: route|hold` never lets a job through a hard filter it fails otherwise.
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
} from "../../src/core/breaker.ts";
import type { Factory, Job } from "../../src/core/model.ts";
import { type RouteContext, scoreCandidate } from "../../src/core/router.ts";
import type { BreakerSettings } from "../../src/core/settings.ts";

const NOW = 1_700_000_000_000;
const S: BreakerSettings = { failureThreshold: 5, coolDownSeconds: 60, maxCoolDownSeconds: 3600 };
const fail: BreakerEvent = { kind: "failure" };
const ok: BreakerEvent = { kind: "success" };

function run(events: BreakerEvent[], start: Breaker = { ...CLOSED }, t0 = NOW): Breaker {
  let b = start;
  for (const [i, e] of events.entries()) b = onRunEnd(b, e, t0 + i, S).next;
  return b;
}

describe("breaker transitions", () => {
  it("opens after failureThreshold consecutive failures, not before", () => {
    expect(breakerState(run(Array(4).fill(fail)), NOW + 10)).toBe("closed");
    const t = onRunEnd(run(Array(4).fill(fail)), fail, NOW + 10, S);
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
    const trial = admit(open, at);
    expect(blocksRouting(trial, at)).toBe(true);
    const failed = onRunEnd(trial, fail, at + 5, S);
    expect(failed.tripped).toBe(true);
    expect(failed.next.coolDownSeconds).toBe(120);
    expect(failed.next.openUntil).toBe(at + 5 + 120_000);
    const again = admit(failed.next, (failed.next.openUntil ?? 0) + 1);
    const closed = onRunEnd(again, ok, (failed.next.openUntil ?? 0) + 2, S);
    expect(closed.closed).toBe(true);
    expect(closed.next).toEqual(CLOSED);
  });

  it("a rate limit opens the breaker for exactly retryAfterSeconds, from any state", () => {
    const t = onRunEnd({ ...CLOSED }, { kind: "rate_limited", retryAfterSeconds: 42 }, NOW, S);
    expect(t.tripped).toBe(true);
    expect(t.next.openUntil).toBe(NOW + 42_000);
    expect(() => onRunEnd({ ...CLOSED }, { kind: "rate_limited", retryAfterSeconds: -1 }, NOW, S)).toThrow(RangeError);
  });

  it("a neutral outcome (cancelled, fenced, budget) frees the trial slot and moves nothing else", () => {
    const open = run(Array(5).fill(fail));
    const at = (open.openUntil ?? 0) + 1;
    const t = onRunEnd(admit(open, at), { kind: "neutral" }, at, S);
    expect(t.next).toEqual({ ...open, trialOut: false });
    expect(onRunEnd({ ...CLOSED }, { kind: "neutral" }, NOW, S).next).toEqual(CLOSED);
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
// Steps: an event after a gap (s), optionally preceded by an assignment (admit).
const stepsArb = fc.array(
  fc.record({ event: eventArb, gapSeconds: fc.integer({ min: 0, max: 20_000 }), assign: fc.boolean() }),
  { maxLength: 60 },
);

describe("breaker properties", () => {
  it("the cool-down never exceeds the cap, and an open period never lasts longer than it", () => {
    fc.assert(
      fc.property(settingsArb, stepsArb, (s, steps) => {
        let b: Breaker = { ...CLOSED };
        let now = NOW;
        for (const step of steps) {
          now += step.gapSeconds * 1000;
          if (step.assign) b = admit(b, now);
          b = onRunEnd(b, step.event, now, s).next;
          if (b.coolDownSeconds !== undefined) expect(b.coolDownSeconds).toBeLessThanOrEqual(s.maxCoolDownSeconds);
          if (b.openUntil !== undefined) expect(b.openUntil - now).toBeLessThanOrEqual(s.maxCoolDownSeconds * 1000);
        }
        expect(nextCoolDown(s.maxCoolDownSeconds, s)).toBe(s.maxCoolDownSeconds);
      }),
    );
  });

  it("successes (and neutral ends) never open a closed breaker", () => {
    const calm = fc.array(fc.oneof(fc.constant<BreakerEvent>(ok), fc.constant<BreakerEvent>({ kind: "neutral" })));
    fc.assert(
      fc.property(settingsArb, calm, (s, events) => {
        let b: Breaker = { ...CLOSED };
        for (const e of events) {
          const t = onRunEnd(b, e, NOW, s);
          expect(t.tripped).toBe(false);
          b = t.next;
          expect(breakerState(b, NOW)).toBe("closed");
        }
      }),
    );
  });

  it("half-open never admits two trials: once one is out, routing is blocked until it ends", () => {
    fc.assert(
      fc.property(settingsArb, stepsArb, fc.integer({ min: 1, max: 5 }), (s, steps, extra) => {
        let b: Breaker = { ...CLOSED };
        let now = NOW;
        for (const step of steps) {
          now += step.gapSeconds * 1000;
          if (step.assign && !blocksRouting(b, now)) {
            const wasHalfOpen = breakerState(b, now) === "half_open";
            b = admit(b, now);
            // A second assignment at the same instant (or later, before the trial ends) is refused.
            if (wasHalfOpen) for (let i = 0; i < extra; i++) expect(blocksRouting(b, now + i)).toBe(true);
          }
          b = onRunEnd(b, step.event, now, s).next;
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
          for (const r of added) expect(r.startsWith("breaker_open:")).toBe(true);
          if (!without.eligible) expect(withBreakers.eligible).toBe(false);
        },
      ),
    );
  });
});
