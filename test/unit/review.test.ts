// The review gate's rules: approvals count once per distinct authenticated principal and only in the current
// round, legacy client-named reviews never count, the job's builder is refused, and a rejection's comment is
// appended to the feedback within a byte bound (newest kept), and a review record keeps at most 500 bytes of its
// comment; a review naming a round that is no longer current
// (the job was requeued and rebuilt since its reviewer read it) is refused. Also: a serial key's queue is ordered exactly as
// the router's orderJobs (property test), and what makes a serial key valid.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import type { DomainError } from "../../src/core/errors.ts";
import type { Job, Priority, Review } from "../../src/core/model.ts";
import { PRIORITIES } from "../../src/core/model.ts";
import {
  ADMIN_REVIEWER,
  appendFeedback,
  assertMayReview,
  MAX_COMMENT_BYTES,
  type Reviewer,
  reviewComment,
  reviewRoundOf,
  tallyReviews,
} from "../../src/core/review.ts";
import { orderJobs } from "../../src/core/router.ts";
import { orderSerialQueue, serialKeyProblem, withFrozenKey } from "../../src/core/serial-gates.ts";

const T0 = 1_700_000_000_000;
const approve = (reviewer: string, at: number, name: string | null = reviewer): Review => ({
  reviewer,
  ...(name !== null ? { reviewerName: name } : {}),
  verdict: "approve",
  at,
});
const round = { required: 2, since: T0 };

describe("tallyReviews", () => {
  const cases: Array<[string, Review[], number, boolean, string[]]> = [
    ["no reviews", [], 0, false, []],
    [
      "one principal approving twice counts once",
      [approve("tok_a", T0), approve("tok_a", T0 + 1)],
      1,
      false,
      ["tok_a"],
    ],
    [
      "two distinct principals meet a quorum of 2",
      [approve("tok_a", T0), approve("tok_b", T0 + 5)],
      2,
      true,
      ["tok_a", "tok_b"],
    ],
    [
      "approvals from before the round do not count",
      [approve("tok_a", T0 - 1), approve("tok_b", T0)],
      1,
      false,
      ["tok_b"],
    ],
    [
      "legacy reviews (a client-typed name, no reviewerName) never count",
      [approve("a", T0, null), approve("b", T0, null), approve("c", T0, null)],
      0,
      false,
      [],
    ],
    [
      "a reject is not an approval",
      [{ reviewer: "tok_a", reviewerName: "a", verdict: "reject", at: T0 }],
      0,
      false,
      [],
    ],
    [
      "the admin counts as one principal",
      [approve("admin", T0), approve("admin", T0 + 1), approve("tok_b", T0 + 2)],
      2,
      true,
      ["admin", "tok_b"],
    ],
  ];
  for (const [name, reviews, approvals, met, approvers] of cases) {
    it(name, () => {
      const t = tallyReviews(reviews, round);
      expect(t).toMatchObject({ required: 2, approvals, met });
      expect(t.approvers.map((r) => r.reviewer)).toEqual(approvers);
    });
  }

  it("an approval by the job's builder never counts, even if stored", () => {
    const t = tallyReviews([approve("fac_1", T0), approve("tok_b", T0)], round, new Set(["fac_1"]));
    expect(t).toMatchObject({ approvals: 1, met: false });
    expect(t.approvers.map((r) => r.reviewer)).toEqual(["tok_b"]);
  });

  it("a quorum of 0 is no gate: never met by approvals", () => {
    expect(tallyReviews([approve("tok_a", T0)], { required: 0, since: T0 }).met).toBe(false);
  });

  it("approvals never exceed the number of distinct principals (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ r: fc.constantFrom("a", "b", "c", "d"), dt: fc.integer({ min: -10, max: 10 }) })),
        (xs) => {
          const reviews = xs.map(({ r, dt }) => approve(r, T0 + dt));
          const t = tallyReviews(reviews, round);
          const distinct = new Set(xs.filter((x) => x.dt >= 0).map((x) => x.r)).size;
          expect(t.approvals).toBe(distinct);
        },
      ),
    );
  });
});

describe("assertMayReview", () => {
  const job = (stage: Job["stage"], reviews: Review[] = []) =>
    ({ id: "job_1", stage, reviews, manifest: { reviewers: 2 }, queuedAt: T0 }) as unknown as Job;
  const alice: Reviewer = { id: "tok_a", name: "alice" };
  const code = (f: () => void): string | undefined => {
    try {
      f();
      return undefined;
    } catch (err) {
      return (err as DomainError).code;
    }
  };

  const cases: Array<[string, () => void, string | undefined]> = [
    [
      "an operator approves a job in review",
      () => assertMayReview(job("review"), alice, "approve", new Set()),
      undefined,
    ],
    [
      "the factory that built it is refused",
      () => assertMayReview(job("review"), { id: "fac_1", name: "f" }, "approve", new Set(["fac_1"])),
      "forbidden",
    ],
    [
      "…also when rejecting",
      () => assertMayReview(job("building"), { id: "fac_1", name: "f" }, "reject", new Set(["fac_1"])),
      "forbidden",
    ],
    [
      "an approval outside review is an illegal transition",
      () => assertMayReview(job("building"), alice, "approve", new Set()),
      "illegal_transition",
    ],
    [
      "a second approval by the same principal is a conflict",
      () => assertMayReview(job("review", [approve("tok_a", T0)]), alice, "approve", new Set()),
      "conflict",
    ],
    [
      "an approval from an earlier round does not block a new one",
      () => assertMayReview(job("review", [approve("tok_a", T0 - 1)]), alice, "approve", new Set()),
      undefined,
    ],
    [
      "a reject of a blocked job is refused: nothing was built (the blocked → failed edge is for dependencies)",
      () => assertMayReview(job("blocked"), alice, "reject", new Set()),
      "illegal_transition",
    ],
    ["…and of a queued one", () => assertMayReview(job("queued"), alice, "reject", new Set()), "illegal_transition"],
    [
      "a reject of a running job is allowed here (the stage table decides the move)",
      () => assertMayReview(job("building"), alice, "reject", new Set()),
      undefined,
    ],
    [
      "the admin may review",
      () => assertMayReview(job("review"), ADMIN_REVIEWER, "approve", new Set(["fac_1"])),
      undefined,
    ],
    [
      "an approval naming the round it read is recorded while that round is current",
      () => assertMayReview(job("review"), alice, "approve", new Set(), T0),
      undefined,
    ],
    [
      "an approval naming an earlier round (the job was rebuilt since it was read) is a conflict",
      () => assertMayReview(job("review"), alice, "approve", new Set(), T0 - 1),
      "conflict",
    ],
    [
      "…and so is a reject of a build the reviewer never saw",
      () => assertMayReview(job("building"), alice, "reject", new Set(), T0 - 1),
      "conflict",
    ],
  ];
  for (const [name, f, expected] of cases) it(name, () => expect(code(f)).toBe(expected));

  it("the round is the job's quorum since it last entered the queue", () => {
    expect(reviewRoundOf({ manifest: { reviewers: 3 } as Job["manifest"], queuedAt: 42 })).toEqual({
      required: 3,
      since: 42,
    });
  });
});

describe("appendFeedback", () => {
  it("appends `name: comment` after a blank line, and leaves feedback alone without a comment", () => {
    expect(appendFeedback(undefined, { name: "alice", comment: "rename x" })).toBe("alice: rename x");
    expect(appendFeedback("bob: tests", { name: "alice", comment: " rename x " })).toBe(
      "bob: tests\n\nalice: rename x",
    );
    expect(appendFeedback("bob: tests", { name: "alice" })).toBe("bob: tests");
    expect(appendFeedback(undefined, { name: "alice", comment: "   " })).toBeUndefined();
  });

  it("drops the oldest entries to stay within the byte bound, keeping the newest whole (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 80, unit: "grapheme" }), { maxLength: 40 }),
        (comments) => {
          let feedback: string | undefined;
          for (const c of comments) feedback = appendFeedback(feedback, { name: "漢", comment: c }, 256);
          if (feedback === undefined) return;
          expect(utf8Bytes(feedback)).toBeLessThanOrEqual(256);
          const last = comments.filter((c) => c.trim()).at(-1);
          if (last !== undefined) expect(feedback.endsWith(`漢: ${last.trim()}`)).toBe(true);
        },
      ),
    );
  });
});

describe("reviewComment", () => {
  it("keeps a comment within MAX_COMMENT_BYTES whole, trimmed; cuts a longer one by bytes on a code point", () => {
    expect(reviewComment("  lgtm ")).toBe("lgtm");
    expect(reviewComment("   ")).toBeUndefined();
    expect(reviewComment("é".repeat(250))).toBe("é".repeat(250)); // exactly 500 bytes
    const cut = reviewComment("😀".repeat(200)) ?? ""; // 200 characters, 800 bytes
    expect(utf8Bytes(cut)).toBeLessThanOrEqual(MAX_COMMENT_BYTES);
    expect(cut).toMatch(/^(😀)+…$/u);
  });
});

describe("serial gates", () => {
  it("a key's queue is exactly orderJobs over the same jobs (property)", () => {
    const arb = fc.array(
      fc.record({
        priority: fc.constantFrom<Priority>(...PRIORITIES),
        age: fc.integer({ min: 0, max: 3 * 3_600_000 }),
      }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, (xs) => {
        const refs = xs.map((x, i) => ({
          id: `job_${String(i).padStart(3, "0")}`,
          priority: x.priority,
          queuedAt: T0 - x.age,
        }));
        const jobs = refs.map((r) => ({ ...r }) as unknown as Job);
        expect(orderSerialQueue(refs, T0)).toEqual(orderJobs(jobs, T0).map((j) => j.id));
      }),
    );
  });

  it("the most urgent waiting job comes first, not the oldest", () => {
    const q = orderSerialQueue(
      [
        { id: "old-low", priority: "low", queuedAt: T0 - 60_000 },
        { id: "new-high", priority: "high", queuedAt: T0 },
      ],
      T0,
    );
    expect(q).toEqual(["new-high", "old-low"]);
  });

  const keys: Array<[string, boolean]> = [
    ["repo/main", true],
    ["deploy:prod", true],
    ["漢".repeat(200), true],
    ["🙂".repeat(200), true],
    ["", false],
    ["x".repeat(800), true],
    ["x".repeat(801), false], // a serial key is at most 800 bytes of UTF-8, in a manifest and at the gates alike
    ["漢".repeat(267), false], // 801 bytes
    ["a\nb", false],
    ["tab\there", false],
    ["del\u007f", false],
    [".", false], // a dot segment: no URL path names it, so the gate endpoints could not reach it
    ["..", false],
    ["...", true],
    ["./a", true],
  ];
  for (const [key, ok] of keys) {
    it(`${ok ? "accepts" : "refuses"} the key ${JSON.stringify(key.slice(0, 12))}${key.length > 12 ? "…" : ""}`, () => {
      expect(serialKeyProblem(key) === undefined).toBe(ok);
    });
  }

  it("the frozen-key list stays sorted and free of duplicates", () => {
    expect(withFrozenKey(["b", "a"], "a", true)).toEqual(["a", "b"]);
    expect(withFrozenKey(["a", "b"], "c", true)).toEqual(["a", "b", "c"]);
    expect(withFrozenKey(["a", "b"], "a", false)).toEqual(["b"]);
    expect(withFrozenKey([], "z", false)).toEqual([]);
  });
});
