// What a bulk item that is wrong in shape is told (pass 48 newcomer's notes): an item holding both `markdown` and
// `manifest` (or neither) is told the two shapes an item takes, not Zod's bare "Invalid input"; a dep `#0`, a
// sibling's name only among one parent's children, is told so, not only "must be a job id".
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { BatchBody } from "../../src/shared/api.ts";
import { checkBatchItem } from "../../src/worker/bulk-items.ts";
import { fromZod } from "../../src/worker/problem.ts";

const refused = (items: unknown[]): string => {
  const r = BatchBody.safeParse({ items });
  if (r.success) throw new Error("taken");
  return fromZod("body", r.error).message;
};

describe("a bulk item's shape", () => {
  it("says the two shapes when an item has both markdown and manifest, or neither", () => {
    for (const item of [{ markdown: "# a", manifest: { title: "a" } }, {}]) {
      const said = refused([item]);
      expect(said).toMatch(/^body\.items\.0: an item is either \{markdown\} .* or \{manifest, bodyMd\?\}/);
      expect(said).not.toContain("Invalid input");
    }
    // Each shape's own refusals keep their words.
    expect(refused([{ markdown: "" }])).toMatch(/^body\.items\.0\.markdown: Too small/);
  });

  it("says that #N names a sibling only among a parent's children", () => {
    let err: unknown;
    try {
      checkBatchItem({ manifest: { title: "t", deps: ["#0"] }, bodyMd: "" }, 0, undefined, 1_000_000);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect((err as Error).message).toContain(`"#0" names a sibling only among one parent's children`);
  });
});
