// The serial gate's `next` is dispatch's own choice (core/serial-gates `serialQueueView`): the first job, in the
// router's urgency order (`orderJobs`), of those that are due now and below no cancel cascade — never a more urgent
// job still waiting out its retry backoff (before, `GET …/serial`, the CLI's NEXT column and the dashboard named the
// queue's head, backoff or not). With none due, `nextDueAt` is the earliest backoff end of a job dispatch would
// take. The queue lists the due jobs first in that order, then those in backoff, soonest due first. The CLI's
// NEXT cell says the same (and falls back to the queue's head for a coordinator that sends no `next`).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nextText } from "../../src/cli/commands/serial.ts";
import { type Job, PRIORITIES, type Priority } from "../../src/core/model.ts";
import { orderJobs } from "../../src/core/router.ts";
import { type QueuedRef, type SerialGate, serialQueueView } from "../../src/core/serial-gates.ts";

const T0 = 1_700_000_000_000;

describe("serialQueueView", () => {
  it("does not name a more urgent job in retry backoff as next: the due one is", () => {
    const refs: QueuedRef[] = [
      { id: "high-backoff", priority: "high", queuedAt: T0 - 60_000, notBefore: T0 + 30_000 },
      { id: "low-due", priority: "low", queuedAt: T0 - 1000 },
    ];
    expect(serialQueueView(refs, T0)).toEqual({ queue: ["low-due", "high-backoff"], next: "low-due", nextDueAt: null });
    // Once its backoff ends it is due, and the more urgent job is next again.
    expect(serialQueueView(refs, T0 + 30_000).next).toBe("high-backoff");
  });

  it("with none due says when the first backoff ends, skipping a job below a cancel cascade", () => {
    const refs: QueuedRef[] = [
      { id: "later", priority: "high", queuedAt: T0 - 5000, notBefore: T0 + 90_000 },
      { id: "sooner", priority: "low", queuedAt: T0 - 1000, notBefore: T0 + 10_000 },
      { id: "held-due", priority: "critical", queuedAt: T0 - 9000, held: true },
      { id: "held-sooner", priority: "high", queuedAt: T0 - 9000, notBefore: T0 + 1000, held: true },
    ];
    const view = serialQueueView(refs, T0);
    expect(view).toMatchObject({ next: null, nextDueAt: T0 + 10_000 });
    expect(view.queue).toEqual(["held-due", "held-sooner", "sooner", "later"]);
    expect(serialQueueView([], T0)).toEqual({ queue: [], next: null, nextDueAt: null });
  });

  it("next is the first of orderJobs over the due, unheld jobs; nextDueAt the earliest unheld backoff end (property)", () => {
    const arb = fc.array(
      fc.record({
        priority: fc.constantFrom<Priority>(...PRIORITIES),
        age: fc.integer({ min: 0, max: 3 * 3_600_000 }),
        wait: fc.option(fc.integer({ min: -60_000, max: 60_000 }), { nil: undefined }),
        held: fc.boolean(),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, (xs) => {
        const refs: QueuedRef[] = xs.map((x, i) => ({
          id: `job_${String(i).padStart(3, "0")}`,
          priority: x.priority,
          queuedAt: T0 - x.age,
          ...(x.wait !== undefined ? { notBefore: T0 + x.wait } : {}),
          ...(x.held ? { held: true } : {}),
        }));
        const runnable = refs.filter((r) => !r.held && (r.notBefore === undefined || r.notBefore <= T0));
        const first = orderJobs(
          runnable.map((r) => ({ ...r }) as unknown as Job),
          T0,
        )[0];
        const view = serialQueueView(refs, T0);
        expect(view.next).toBe(first?.id ?? null);
        const ends = refs.filter((r) => !r.held && r.notBefore !== undefined && r.notBefore > T0);
        const soonest = ends.length > 0 ? Math.min(...ends.map((r) => r.notBefore!)) : null;
        expect(view.nextDueAt).toBe(view.next === null ? soonest : null);
        expect([...view.queue].sort()).toEqual(refs.map((r) => r.id).sort());
      }),
    );
  });
});

describe("the CLI's NEXT cell", () => {
  const gate = (over: Partial<SerialGate>): SerialGate => ({
    key: "k",
    holder: null,
    stopping: null,
    queue: ["job_backoff", "job_due"],
    next: "job_due",
    nextDueAt: null,
    queueLength: 2,
    frozen: null,
    ...over,
  });
  it("is dispatch's next job, or when one becomes due — never the queue's head merely", () => {
    expect(nextText(gate({}))).toBe("job_due");
    expect(nextText(gate({ next: null, nextDueAt: Date.UTC(2026, 0, 2, 3, 4, 5) }))).toMatch(
      /^none due \(next at 2026-01-02.*03:04:05/,
    );
    expect(nextText(gate({ next: null, queue: [], queueLength: 0 }))).toBe("—");
    // An older coordinator sends no `next`: its queue's head is all there is.
    expect(nextText({ ...gate({}), next: undefined } as unknown as SerialGate)).toBe("job_backoff");
  });
});
