// An automatic lesson another job already wrote word for word is that lesson seen again (core/lessons
// `repeatTarget`): the same trigger, text and scope within the dedupe window is one row, counted, whatever its
// subject — jobs titled alike (a batch, a nightly) failing with one message had written one row each, all listed by
// `lessons list`. The same subject (the job's own repeat) still lands on its own lesson when no twin of its new words
// exists; another scope, another trigger, an operator's lesson or one past the window is not a twin. Property: for
// any sequence of sightings, the rows updated within the window never hold two of one trigger, text and scope, and
// their counts add up to the sightings (none lost, none counted twice).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AutoSighting, repeatTarget, sameScope } from "../../src/core/lesson-repeats.ts";
import { LESSON_LIMITS, type Lesson } from "../../src/core/lessons.ts";

const HOUR = 3_600_000;
const WINDOW = LESSON_LIMITS.dedupeWindowMs;

const sighting = (over: Partial<AutoSighting> = {}): AutoSighting => ({
  trigger: "retry_exhausted",
  subject: "job:1",
  text: '"nightly" failed 3 times and was dead-lettered; last: exit 1',
  capabilities: ["gpu"],
  engine: "sample",
  ...over,
});

/** A lesson as recordAutoLesson stores a sighting. */
const stored = (id: string, s: AutoSighting, at: number, over: Partial<Lesson> = {}): Lesson => ({
  id,
  source: "auto",
  createdBy: "system",
  count: 1,
  createdAt: at,
  updatedAt: at,
  ...s,
  capabilities: [...s.capabilities],
  ...over,
});

describe("repeatTarget", () => {
  const first = stored("les_a", sighting(), 10 * HOUR);

  it("lands another job's lesson of the same words and scope on the first one", () => {
    expect(repeatTarget([first], sighting({ subject: "job:2" }), 11 * HOUR)?.id).toBe("les_a");
    // Capabilities compared as a set: the same scope spelled in another order.
    const twoCaps = stored("les_b", sighting({ capabilities: ["gpu", "x86"] }), 10 * HOUR);
    expect(repeatTarget([twoCaps], sighting({ subject: "job:2", capabilities: ["x86", "gpu"] }), HOUR)?.id).toBe(
      "les_b",
    );
  });

  it("is not a twin: another scope, trigger or text, an operator's lesson, one past the window", () => {
    const other = { subject: "job:2" };
    expect(repeatTarget([first], sighting({ ...other, engine: "codex" }), 11 * HOUR)).toBeUndefined();
    expect(repeatTarget([first], sighting({ ...other, capabilities: [] }), 11 * HOUR)).toBeUndefined();
    expect(repeatTarget([first], sighting({ ...other, serialKey: "k" }), 11 * HOUR)).toBeUndefined();
    expect(repeatTarget([first], sighting({ ...other, trigger: "budget_stop" }), 11 * HOUR)).toBeUndefined();
    expect(repeatTarget([first], sighting({ ...other, text: "another sentence" }), 11 * HOUR)).toBeUndefined();
    expect(repeatTarget([{ ...first, source: "operator" }], sighting(other), 11 * HOUR)).toBeUndefined();
    expect(repeatTarget([first], sighting(other), 10 * HOUR + WINDOW + 1)).toBeUndefined();
  });

  it("a job's own repeat still lands on its lesson, unless a twin of its new words exists", () => {
    expect(repeatTarget([first], sighting({ text: "new words" }), 11 * HOUR)?.id).toBe("les_a");
    const twin = stored("les_b", sighting({ subject: "job:2", text: "new words" }), 10 * HOUR);
    expect(repeatTarget([first, twin], sighting({ text: "new words" }), 11 * HOUR)?.id).toBe("les_b");
  });

  it("an archived twin counts too: it stays archived rather than coming back live", () => {
    expect(repeatTarget([{ ...first, archived: true }], sighting({ subject: "job:2" }), 11 * HOUR)?.id).toBe("les_a");
  });
});

describe("property: one row per trigger, text and scope within the window", () => {
  const arbSighting = fc.record({
    trigger: fc.constantFrom("retry_exhausted", "budget_stop"),
    subject: fc.constantFrom("job:1", "job:2", "job:3", "job:4"),
    text: fc.constantFrom("a", "b", "c"),
    capabilities: fc.subarray(["gpu", "x86"]),
    engine: fc.option(fc.constantFrom("sample", "codex"), { nil: undefined }),
  });
  // Steps of up to a third of the window, so sequences both stay within it and run past it.
  const arbSteps = fc.array(fc.tuple(arbSighting, fc.integer({ min: 0, max: Math.floor(WINDOW / 3) })), {
    maxLength: 60,
  });

  it("holds for any sequence of sightings, and the counts add up to them", () => {
    fc.assert(
      fc.property(arbSteps, (steps) => {
        const rows: Lesson[] = [];
        let now = 0;
        for (const [s, step] of steps) {
          now += step;
          const target = repeatTarget(rows, s, now);
          if (target) Object.assign(target, { ...s, subject: target.subject, count: target.count + 1, updatedAt: now });
          else rows.push(stored(`les_${rows.length}`, s, now));
          const live = rows.filter((r) => r.updatedAt >= now - WINDOW);
          for (const [j, a] of live.entries())
            for (const b of live.slice(j + 1))
              expect(a.trigger === b.trigger && a.text === b.text && sameScope(a, b), `${a.id} ${b.id}`).toBe(false);
        }
        expect(rows.reduce((n, r) => n + r.count, 0)).toBe(steps.length);
      }),
    );
  });
});
