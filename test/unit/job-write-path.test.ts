// Proves the capability bucket of a job row cannot drift from its requirements: jobs/rows (`saveJob`) is the only
// source file that inserts job rows or sets their stage, requirements or bucket, and it writes `cap_key` from the
// very document it stores; the only other writers of the table are the start-time back-fill of the bucket column
// (jobs/buckets) and retention clearing idempotency keys (jobs/key-prune), which touch neither stage nor document.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { sourceFiles } from "../../scripts/source-map.ts";

const WRITE = /\b(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+jobs\b/gi;
const ROWS = "src/durable-objects/coordinator/jobs/rows.ts";

/** Each write statement on `jobs` in `text`, from its verb to the end of its first 400 characters. */
function writes(text: string): string[] {
  return [...text.matchAll(WRITE)].map((m) => text.slice(m.index, m.index + 400));
}

describe("the jobs table's one write path", () => {
  const files = sourceFiles().filter((f) => f.startsWith("src/") && f.endsWith(".ts"));
  const byFile = new Map(files.map((f) => [f, writes(readFileSync(f, "utf8"))]));

  it("is jobs/rows, save for the bucket back-fill and retention's idempotency-key release", () => {
    const writers = [...byFile].filter(([, w]) => w.length > 0).map(([f]) => f);
    expect(writers.sort()).toEqual(
      [
        ROWS,
        "src/durable-objects/coordinator/jobs/buckets.ts",
        "src/durable-objects/coordinator/jobs/key-prune.ts",
      ].sort(),
    );
  });

  it("the others set only what the bucket does not depend on", () => {
    expect(byFile.get("src/durable-objects/coordinator/jobs/buckets.ts")).toEqual([
      expect.stringMatching(/^UPDATE jobs SET cap_key = \?1 WHERE id = \?2/),
    ]);
    const keyPrune = byFile.get("src/durable-objects/coordinator/jobs/key-prune.ts") ?? [];
    expect(keyPrune).toHaveLength(1);
    for (const w of keyPrune) expect(w).toMatch(/^UPDATE jobs (?:INDEXED BY \w+ )?SET idempotency_key = NULL\s+WHERE/);
  });

  it("saveJob writes cap_key, on insert and on update, from the job it stores", () => {
    const text = readFileSync(ROWS, "utf8");
    // Both statements list the same columns (MUTABLE), computed from the job by one function.
    expect(text).toMatch(/const MUTABLE = \[[^\]]*"cap_key",?\s*\] as const/);
    expect(text).toMatch(/INSERT INTO jobs\(id, created_at, idempotency_key, parent_id, \$\{MUTABLE\.join/);
    expect(text).toMatch(/DO UPDATE SET \$\{MUTABLE\.map\(\(c\) => `\$\{c\} = excluded\.\$\{c\}`\)/);
    expect(text).toMatch(/`UPDATE jobs SET \$\{\[\.\.\.sets, "doc = \?"\]/);
    expect(text).toMatch(/capabilityKey\(job\)/);
  });
});
