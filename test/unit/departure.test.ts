// A factory stopped on purpose is not an outage (core/departure): it left only if it drained, closed with 1000/1001
// and held no lease (every other end is judged by heartbeats, as before); once left its health reads `left` however
// long it stays silent (property: never `down`), until a beat after leaving; a factory that never left reads exactly
// what core/lease `factoryHealth` says (property). Its waiting reason, CLI row and dashboard card name it as left.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { fleetSummary, healthText } from "../../dashboard/fleet.js";
import { healthCell } from "../../src/cli/commands/factories.ts";
import { CLEAN_CLOSE_CODES, hasLeft, leftCleanly, standingHealth } from "../../src/core/departure.ts";
import { factoryHealth } from "../../src/core/lease.ts";
import type { Factory } from "../../src/core/model.ts";
import { reachableViews, waitingReasonOf } from "../../src/core/waiting.ts";
import { factoryFixture, jobFixture } from "../support/fixtures.ts";

const NOW = 1_700_000_000_000;
const MIN = 60_000;
const YEAR = 365 * 24 * 60 * MIN;

describe("leftCleanly: drained, clean close, nothing held", () => {
  it("is a departure only with all three", () => {
    expect(leftCleanly({ draining: true, code: 1000, heldLeases: 0 })).toBe(true);
    expect(leftCleanly({ draining: true, code: 1001, heldLeases: 0 })).toBe(true);
    expect(leftCleanly({ draining: false, code: 1000, heldLeases: 0 })).toBe(false); // closed, never drained
    expect(leftCleanly({ draining: true, code: 1006, heldLeases: 0 })).toBe(false); // no close frame: kill -9
    expect(leftCleanly({ draining: true, code: 1011, heldLeases: 0 })).toBe(false); // an error close
    expect(leftCleanly({ draining: true, code: 1000, heldLeases: 1 })).toBe(false); // jobs still held
  });

  it("property: any code outside 1000/1001, or any lease held, is never a departure", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 0, max: 4999 }), fc.nat({ max: 1000 }), (draining, code, held) => {
        const left = leftCleanly({ draining, code, heldLeases: held });
        expect(left).toBe(draining && CLEAN_CLOSE_CODES.has(code) && held === 0);
      }),
    );
  });
});

describe("standingHealth: left, or what heartbeats say", () => {
  it("reads left after leaving, and heartbeats again after a later beat", () => {
    const beat = NOW - 10 * MIN;
    expect(standingHealth({ lastHeartbeatAt: beat, leftAt: beat + 1 }, NOW)).toBe("left");
    expect(hasLeft({ lastHeartbeatAt: beat + 2, leftAt: beat + 1 })).toBe(false); // beat since: it is back
    expect(standingHealth({ lastHeartbeatAt: beat + 2, leftAt: beat + 1 }, NOW)).toBe("down");
  });

  it("property: a factory that left is never down, however long it stays silent", () => {
    fc.assert(
      fc.property(fc.nat({ max: YEAR }), fc.nat({ max: YEAR }), (beforeLeaving, since) => {
        const leftAt = NOW - since;
        const lastHeartbeatAt = leftAt - beforeLeaving;
        expect(standingHealth({ lastHeartbeatAt, leftAt }, NOW)).toBe("left");
      }),
    );
  });

  it("property: a factory that never left reads exactly core/lease factoryHealth", () => {
    fc.assert(
      fc.property(fc.option(fc.nat({ max: YEAR })), fc.array(fc.nat({ max: 30 * MIN })), (silence, ago) => {
        const lastHeartbeatAt = silence === null ? undefined : NOW - silence;
        const leaseExpiries = ago.map((a) => NOW - a);
        expect(standingHealth({ lastHeartbeatAt, leaseExpiries }, NOW)).toBe(
          factoryHealth(lastHeartbeatAt, leaseExpiries, NOW),
        );
      }),
    );
  });
});

describe("shown as left, not as an outage", () => {
  const gone = (over: Partial<Factory>): Factory =>
    factoryFixture(NOW, { capabilities: ["gpu"], seats: 1, lastHeartbeatAt: NOW - 6 * MIN, ...over });

  it("the waiting reason names left factories apart from down ones", () => {
    const job = jobFixture(NOW, { requires: ["gpu"], manifest: { reviewers: 0 } as never, queuedAt: NOW - 3000 });
    const left = gone({ id: "f1", name: "upgraded", health: "left", leftAt: NOW - 5 * MIN });
    expect(reachableViews([left], new Set())[0]!.health).toBe("left");
    const onlyLeft = waitingReasonOf(job, { ctx: { now: NOW }, factories: [left], connected: new Set() }, NOW);
    expect(onlyLeft?.code).toBe("no_factory_connected");
    expect(onlyLeft?.detail).toMatchObject({ factories: [], left: [{ id: "f1", name: "upgraded" }], leftCount: 1 });
    expect(onlyLeft?.message).toContain("stopped on purpose");
    const down = gone({ id: "f2", name: "crashed", health: "down" });
    const mixed = waitingReasonOf(job, { ctx: { now: NOW }, factories: [left, down], connected: new Set() }, NOW);
    expect(mixed?.message).toMatch(
      /^no factory that can run it is connected \(crashed; left after draining: upgraded\) — /,
    );
    const plain = waitingReasonOf(job, { ctx: { now: NOW }, factories: [down], connected: new Set() }, NOW);
    expect(plain?.message).toMatch(/^no factory that can run it is connected \(crashed\) — /); // the fix follows
    expect(plain?.detail).not.toHaveProperty("left");
  });

  it("the CLI and the dashboard card say when it left", () => {
    const f = { health: "left" as const, leftAt: NOW - 5 * MIN };
    expect(healthCell(f, NOW)).toMatch(/^left \(drained\) 5\s*m(in)? ago$/);
    expect(healthCell({ health: "down" }, NOW)).toBe("down");
    expect(healthText(f, NOW)).toBe("left (drained) 5 min ago");
    expect(healthText({ health: "down" }, NOW)).toBe("health down");
    const card = { seats: 2, load: 0, status: "active", lastHeartbeatAt: 1 };
    expect(fleetSummary([{ ...card, health: "left" }])).toBe(
      "1 factory · 0 of 0 seats busy · 2 more seats on factories down, left or never connected",
    );
  });
});
