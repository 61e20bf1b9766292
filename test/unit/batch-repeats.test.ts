// A bulk batch's repeated keys (core/batch-repeats): every item whose key an earlier item has points at the first
// such item, no other item does, and `keys` counts the distinct keys — so `jobs` plus the repeats is every item
// that names a job, whatever the order the items arrive in.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchRepeats } from "../../src/core/batch-repeats.ts";

describe("batchRepeats", () => {
  it("points each repeat at the first item with its key, and counts the keys", () => {
    const items = [
      { index: 0, key: "content:a" },
      { index: 1, key: "content:b" },
      { index: 3, key: "content:a" },
      { index: 4, key: "content:a" },
    ];
    const r = batchRepeats(items);
    expect([...r.repeatOf]).toEqual([
      [3, 0],
      [4, 0],
    ]);
    expect(r.keys).toBe(2);
  });

  it("holds for any items in any order", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom("a", "b", "c", "d"), { maxLength: 40 }), fc.boolean(), (keys, reversed) => {
        const items = keys.map((key, index) => ({ index, key }));
        const r = batchRepeats(reversed ? [...items].reverse() : items);
        expect(r.keys).toBe(new Set(keys).size);
        expect(r.keys + r.repeatOf.size).toBe(keys.length);
        for (const { index, key } of items) {
          const first = keys.indexOf(key);
          expect(r.repeatOf.get(index)).toBe(first === index ? undefined : first);
        }
      }),
    );
  });
});
