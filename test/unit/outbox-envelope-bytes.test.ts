// The outbox round's envelope measure (outbox/round-plan `envelopeBytes`) counts without serializing what `jsonBytes`
// counts by serializing: a history message's `{productId, seq, kind, body: 0}` (a group's part with `part`), for any
// product id and kind — quotes, backslashes, control characters, astral and lone surrogates — and any row numbers.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { envelopeBytes } from "../../src/durable-objects/coordinator/outbox/round-plan.ts";

const text = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.string({ unit: "grapheme" }),
  fc.constantFrom("history", "snapshot", "audit", "run", "event", "webhook", '"', "\\", "\u0001", "\ud800", "é🙂"),
);

describe("a history envelope's bytes, counted", () => {
  it("equal the envelope serialized, with and without a part", () => {
    fc.assert(
      fc.property(
        text,
        fc.maxSafeNat(),
        text,
        fc.option(fc.maxSafeNat(), { nil: undefined }),
        (id, seq, kind, part) => {
          const object =
            part === undefined ? { productId: id, seq, kind, body: 0 } : { productId: id, seq, part, kind, body: 0 };
          expect(envelopeBytes(id, seq, kind, part)).toBe(jsonBytes(object));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
