// No Durable Object statement binds its LIMIT or OFFSET: SQLite plans with a bound LIMIT's value, so every run re-prepares the
// statement (sql-statements `withLimit`, measured at +8 µs a run in workerd). Limits are written in, through
// `withLimit` or a constant; a statement may bind one only with a `bound-limit:` comment saying why.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withLimit } from "../../src/durable-objects/sql-statements.ts";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
  );
}

describe("LIMIT and OFFSET in Durable Object SQL", () => {
  it("are never bound parameters, unless a bound-limit: comment says why", () => {
    const offenders = sources("src/durable-objects").flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(
          ({ line }) =>
            /(LIMIT|OFFSET) \?\d*/.test(line) && !line.includes("bound-limit:") && !/^\s*(\*|\/\/)/.test(line),
        )
        .map(({ at }) => at),
    );
    expect(offenders).toEqual([]);
  });

  it("withLimit writes the limit in once per (template, limit), and refuses anything but a count", () => {
    const t = "SELECT id FROM jobs ORDER BY id LIMIT {limit}";
    expect(withLimit(t, 8)).toBe("SELECT id FROM jobs ORDER BY id LIMIT 8");
    expect(withLimit(t, 8)).toBe(withLimit(t, 8));
    expect(withLimit(t, 0)).toBe("SELECT id FROM jobs ORDER BY id LIMIT 0");
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])
      expect(() => withLimit(t, bad)).toThrow(RangeError);
    expect(() => withLimit("SELECT 1 LIMIT ?", 1)).toThrow(RangeError);
  });
});
