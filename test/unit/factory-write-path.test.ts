// Proves the factory cache's invalidation is structural: factories/registry is the only source file that writes
// the `factories` table (INSERT, UPDATE, DELETE, REPLACE), and each of its writes forgets the cached document —
// so a new writer elsewhere fails here instead of leaving dispatch routing on a stale record.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../../scripts/source-map.ts";

const WRITE = /\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+factories\b/i;
const REGISTRY = "src/durable-objects/coordinator/factories/registry.ts";

describe("the factories table's one write path", () => {
  const files = sourceFiles().filter((f) => f.startsWith("src/") && f.endsWith(".ts"));

  it("is factories/registry: no other source file writes the table", () => {
    const writers = files.filter((f) => WRITE.test(readFileSync(f, "utf8")));
    expect(writers).toEqual([REGISTRY]);
  });

  it("forgets the cached document in every function of the registry that writes", () => {
    const text = readFileSync(REGISTRY, "utf8");
    const bodies = text.split(/\nexport function /).slice(1);
    const writing = bodies.filter((b) => WRITE.test(b));
    expect(writing.length).toBeGreaterThanOrEqual(2); // storeFactory, deleteFactory
    for (const b of writing) expect(b, b.slice(0, 60)).toMatch(/forgetCachedFactory\(/);
  });
});
