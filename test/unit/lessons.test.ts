// The lessons journal's pure rules (core/lessons): an automatic lesson repeated within the dedupe window is the same
// lesson (an archived one too: it stays archived, counted); a lesson matches a job by capabilities ⊆ requires, engine
// or serial key, or everywhere when unscoped; an assignment carries the matching lessons newest first, never more
// than 8 nor 4 KiB of UTF-8 text, never one text twice (the newest lesson saying it goes: jobs titled alike record the
// same sentence), and a matching lesson is never left out for a non-matching one (fast-check properties); operator
// text is refused past its bytes. One lesson about several jobs (a budget stop) is scoped to what they all share, and
// matches every one of them (property).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { DomainError } from "../../src/core/errors.ts";
import { dedupeTarget } from "../../src/core/lesson-repeats.ts";
import {
  assertLessonText,
  boundLessonText,
  LESSON_LIMITS,
  type Lesson,
  lessonMatches,
  lessonsForJob,
  lessonsMarkdown,
  sharedScope,
} from "../../src/core/lessons.ts";

const HOUR = 3_600_000;

function lesson(over: Partial<Lesson> & { id: string }): Lesson {
  return {
    text: `lesson ${over.id}`,
    source: "operator",
    capabilities: [],
    count: 1,
    createdAt: 0,
    updatedAt: 0,
    createdBy: "op",
    ...over,
  };
}

describe("dedupe window", () => {
  const auto = lesson({
    id: "les_a",
    source: "auto",
    trigger: "retry_exhausted",
    subject: "job:1",
    updatedAt: 10 * HOUR,
  });
  const key = { trigger: "retry_exhausted", subject: "job:1" };

  it("the same trigger + subject within 24 h is the existing lesson", () => {
    expect(dedupeTarget([auto], key, 10 * HOUR + 23 * HOUR)?.id).toBe("les_a");
  });

  it("after the window, another trigger or subject, an operator lesson → a new lesson", () => {
    expect(dedupeTarget([auto], key, 10 * HOUR + 25 * HOUR)).toBeUndefined();
    expect(dedupeTarget([auto], { ...key, trigger: "review_rejected" }, 11 * HOUR)).toBeUndefined();
    expect(dedupeTarget([auto], { ...key, subject: "job:2" }, 11 * HOUR)).toBeUndefined();
    expect(dedupeTarget([{ ...auto, source: "operator" }], key, 11 * HOUR)).toBeUndefined();
  });

  it("an archived lesson within the window is the target (it is counted and stays archived); after it, not", () => {
    const archived = { ...auto, archived: true };
    expect(dedupeTarget([archived], key, 11 * HOUR)?.id).toBe("les_a");
    expect(dedupeTarget([archived], key, 10 * HOUR + 25 * HOUR)).toBeUndefined();
  });

  it("picks the newest of several candidates", () => {
    const older = { ...auto, id: "les_0", updatedAt: 9 * HOUR };
    expect(dedupeTarget([older, auto], key, 12 * HOUR)?.id).toBe("les_a");
  });
});

describe("relevance", () => {
  const job = { requires: ["lang:ts", "os:linux"], engine: "claude", serialKey: "repo:a" };

  it("matches when every part of its scope that is set holds: capabilities ⊆ requires, engine, serial key", () => {
    expect(lessonMatches(lesson({ id: "les_1" }), job)).toBe(true);
    expect(lessonMatches(lesson({ id: "les_2", capabilities: ["lang:ts"] }), job)).toBe(true);
    expect(lessonMatches(lesson({ id: "les_3", capabilities: ["lang:ts", "gpu"] }), job)).toBe(false);
    expect(lessonMatches(lesson({ id: "les_4", engine: "claude" }), job)).toBe(true);
    expect(lessonMatches(lesson({ id: "les_5", engine: "codex" }), job)).toBe(false);
    expect(lessonMatches(lesson({ id: "les_6", serialKey: "repo:a" }), job)).toBe(true);
    expect(lessonMatches(lesson({ id: "les_7", serialKey: "repo:b", capabilities: ["gpu"] }), job)).toBe(false);
    expect(lessonMatches(lesson({ id: "les_8", archived: true }), job)).toBe(false);
    // Each part narrows: one part that holds is not enough (a tpu lesson for the sample engine is not every sample job's).
    expect(lessonMatches(lesson({ id: "les_10", engine: "claude", capabilities: ["gpu"] }), job)).toBe(false);
    expect(lessonMatches(lesson({ id: "les_11", engine: "claude", serialKey: "repo:b" }), job)).toBe(false);
    expect(lessonMatches(lesson({ id: "les_12", capabilities: ["os:linux"], engine: "codex" }), job)).toBe(false);
    expect(
      lessonMatches(lesson({ id: "les_13", capabilities: ["os:linux"], engine: "claude", serialKey: "repo:a" }), job),
    ).toBe(true);
    // A job with no engine is not matched by an engine-scoped lesson.
    expect(lessonMatches(lesson({ id: "les_9", engine: "claude" }), { requires: [] })).toBe(false);
  });
});

const arbLesson = fc.record({
  id: fc.stringMatching(/^les_[a-z0-9]{4}$/),
  text: fc.string({ minLength: 1, maxLength: 1200, unit: "grapheme" }),
  capabilities: fc.subarray(["a", "b", "c"]),
  engine: fc.option(fc.constantFrom("claude", "codex"), { nil: undefined }),
  serialKey: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
  updatedAt: fc.integer({ min: 0, max: 1_000 }),
  archived: fc.option(fc.boolean(), { nil: undefined }),
});
const arbJob = fc.record({
  requires: fc.subarray(["a", "b", "c"]),
  engine: fc.option(fc.constantFrom("claude", "codex"), { nil: undefined }),
  serialKey: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
});
const arbLessons = fc
  .uniqueArray(arbLesson, { selector: (l) => l.id, maxLength: 40 })
  .map((ls) => ls.map((l) => lesson({ ...l, engine: l.engine, serialKey: l.serialKey })));

describe("what an assignment carries (properties)", () => {
  it("never more than perAssignment lessons nor assignmentMaxBytes of text", () => {
    fc.assert(
      fc.property(arbLessons, arbJob, (ls, job) => {
        const out = lessonsForJob(ls, job);
        expect(out.length).toBeLessThanOrEqual(LESSON_LIMITS.perAssignment);
        expect(out.reduce((n, l) => n + utf8Bytes(l.text), 0)).toBeLessThanOrEqual(LESSON_LIMITS.assignmentMaxBytes);
      }),
    );
  });

  it("only matching lessons, newest first, each at most once", () => {
    fc.assert(
      fc.property(arbLessons, arbJob, (ls, job) => {
        const byId = new Map(ls.map((l) => [l.id, l]));
        const out = lessonsForJob(ls, job).map((r) => byId.get(r.id) as Lesson);
        expect(new Set(out.map((l) => l.id)).size).toBe(out.length);
        for (const l of out) expect(lessonMatches(l, job)).toBe(true);
        for (let i = 1; i < out.length; i++) {
          const [a, b] = [out[i - 1] as Lesson, out[i] as Lesson];
          expect(a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && a.id > b.id)).toBe(true);
        }
      }),
    );
  });

  it("a matching lesson is never dropped for a non-matching one: adding non-matching lessons changes nothing", () => {
    fc.assert(
      fc.property(arbLessons, arbLessons, arbJob, (ls, noise, job) => {
        const ids = new Set(ls.map((l) => l.id));
        const others = noise.filter((l) => !ids.has(l.id) && !lessonMatches(l, job));
        expect(lessonsForJob([...others, ...ls], job)).toEqual(lessonsForJob(ls, job));
      }),
    );
  });

  it("a lesson left out while there was room is one that did not fit the bytes left", () => {
    fc.assert(
      fc.property(arbLessons, arbJob, (ls, job) => {
        const out = lessonsForJob(ls, job);
        if (out.length >= LESSON_LIMITS.perAssignment) return;
        const used = out.reduce((n, l) => n + utf8Bytes(l.text), 0);
        const kept = new Set(out.map((l) => l.id));
        const said = new Set(out.map((l) => l.text));
        for (const l of ls.filter((x) => lessonMatches(x, job) && !kept.has(x.id) && !said.has(x.text))) {
          expect(used + utf8Bytes(l.text)).toBeGreaterThan(LESSON_LIMITS.assignmentMaxBytes);
        }
      }),
    );
  });

  it("never carries one text twice: the newest of the lessons saying it goes, and the places left go to others", () => {
    // Eight jobs titled alike, each stopped by one budget run-out: eight automatic lessons of one sentence.
    const same = '"Nightly lint" was stopped because the product budget ran out (monthly $50 spent).';
    const repeats = Array.from({ length: 8 }, (_, i) => lesson({ id: `les_r${i}`, text: same, updatedAt: 100 + i }));
    const other = lesson({ id: "les_other", text: "run the linter before pushing", updatedAt: 1 });
    const out = lessonsForJob([other, ...repeats], { requires: [] });
    expect(out).toEqual([
      { id: "les_r7", text: same },
      { id: "les_other", text: other.text },
    ]);
    fc.assert(
      fc.property(arbLessons, arbJob, fc.integer({ min: 0, max: 39 }), (ls, job, k) => {
        const copies = ls.map((l, i) => (i % 3 === 0 ? { ...l, text: ls[k % ls.length]?.text ?? l.text } : l));
        const texts = lessonsForJob(copies, job).map((r) => r.text);
        expect(new Set(texts).size).toBe(texts.length);
      }),
    );
  });
});

describe("text bounds (bytes, not characters)", () => {
  it("refuses blank or over-long operator text, counting UTF-8 bytes", () => {
    expect(assertLessonText("  run the linter first  ")).toBe("run the linter first");
    expect(() => assertLessonText("   ")).toThrow(DomainError);
    const emoji = "😀".repeat(257); // 257 characters, 1028 bytes
    expect(() => assertLessonText(emoji)).toThrow(/at most 1024 bytes/);
  });

  it("cuts an automatic lesson's text to the limit instead", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 3000, unit: "grapheme" }), (s) => {
        expect(utf8Bytes(boundLessonText(s))).toBeLessThanOrEqual(LESSON_LIMITS.textMaxBytes);
      }),
    );
  });
});

describe("the lessons file", () => {
  it("is a markdown list, one line per lesson in the order given; empty for none", () => {
    expect(lessonsMarkdown([])).toBe("");
    const md = lessonsMarkdown([
      { id: "les_2", text: "newer\nspans lines" },
      { id: "les_1", text: "older" },
    ]);
    expect(md.split("\n").filter((l) => l.startsWith("- "))).toEqual([
      "- newer spans lines (les_2)",
      "- older (les_1)",
    ]);
  });
});

describe("sharedScope: one lesson about several jobs", () => {
  /** A job of capabilities a–d, and maybe engine x or y and serial key k. */
  const target = fc.record(
    {
      requires: fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 4 }),
      engine: fc.constantFrom("x", "y"),
      serialKey: fc.constantFrom("k"),
    },
    { requiredKeys: ["requires"] },
  );

  it("keeps what every job shares, in the first job's order; one job keeps its own scope; none is product-wide", () => {
    const a = { requires: ["os:linux", "lang:ts", "lang:ts"], engine: "claude", serialKey: "repo-x" };
    const b = { requires: ["lang:ts", "os:linux", "gpu"], engine: "claude", serialKey: "repo-y" };
    expect(sharedScope([a, b])).toEqual({ capabilities: ["os:linux", "lang:ts"], engine: "claude" });
    expect(sharedScope([a])).toEqual({ capabilities: ["os:linux", "lang:ts"], engine: "claude", serialKey: "repo-x" });
    expect(sharedScope([a, { requires: ["gpu"] }])).toEqual({ capabilities: [] });
    expect(sharedScope([])).toEqual({ capabilities: [] });
  });

  it("property: the shared scope's lesson matches every one of the jobs", () => {
    fc.assert(
      fc.property(fc.array(target, { minLength: 1, maxLength: 6 }), (jobs) => {
        const l = lesson({ id: "les_s", text: "stopped", ...sharedScope(jobs) });
        for (const j of jobs) expect(lessonMatches(l, j)).toBe(true);
      }),
    );
  });

  it("property: the shared scope's lesson reaches no job lacking a part of that scope", () => {
    fc.assert(
      fc.property(fc.array(target, { minLength: 1, maxLength: 6 }), target, (jobs, other) => {
        const scope = sharedScope(jobs);
        const l = lesson({ id: "les_s", text: "stopped", ...scope });
        const fits =
          scope.capabilities.every((c) => (other.requires as string[]).includes(c)) &&
          (scope.engine === undefined || scope.engine === other.engine) &&
          (scope.serialKey === undefined || scope.serialKey === other.serialKey);
        expect(lessonMatches(l, other)).toBe(fits);
      }),
    );
  });
});
