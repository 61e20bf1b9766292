// Proves the coordinator's meta cache (runtime/meta) is exact by construction: runtime/meta is the only source
// file of the coordinator that writes its `meta` table, and each of its writers updates the cache — so a new
// writer elsewhere fails here instead of leaving the queue version or the settings stale in memory. (A JobFeed
// has a `meta` table of its own, in another database: durable-objects/job-feed and feed/ are not the coordinator.)
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../../scripts/source-map.ts";

const WRITE = /\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+meta\b/i;
const META = "src/durable-objects/coordinator/runtime/meta.ts";

describe("the coordinator's meta table has one write path", () => {
  const files = sourceFiles().filter((f) => f.startsWith("src/durable-objects/coordinator/") && f.endsWith(".ts"));

  it("is runtime/meta: no other coordinator source file writes the table", () => {
    expect(files.filter((f) => WRITE.test(readFileSync(f, "utf8")))).toEqual([META]);
  });

  it("keeps the cache in step in every function that writes", () => {
    const bodies = readFileSync(META, "utf8")
      .split(/\nexport function /)
      .slice(1);
    const writing = bodies.filter((b) => WRITE.test(b));
    expect(writing.length).toBe(2); // setMeta, deleteMeta
    for (const b of writing) expect(b, b.slice(0, 40)).toMatch(/cacheOf\(sql\)\.set\(/);
  });
});
