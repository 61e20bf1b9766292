// A key a record refuses is told in its rule's own words, naming the key (worker/problem fromZod): zod 4 words every
// refused record key "Invalid key in record" and keeps the key schema's message beneath it, so PATCH …/settings with
// `{"prices": {"кодекс": …}}` answered `body.prices.кодекс: Invalid key in record` — nothing of what an engine name
// may be. The detail is now `body.prices: key "кодекс": <the engine-name rule>`, for any record with a key rule (an
// enum-keyed record's unknown key is zod's "Unrecognized key", named already), and a huge key is cut so the rule
// still fits within the echo bound (core/bytes ISSUE_TEXT_BYTES).
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ISSUE_TEXT_BYTES, utf8Bytes } from "../../src/core/bytes.ts";
import { SettingsPatchSchema } from "../../src/core/settings.ts";
import { fromZod } from "../../src/worker/problem.ts";

const RULE = "must be an engine name like codex, or * (the default engine)";

/** The problem fromZod makes of `schema` refusing `input`, as the body's validation does (worker/validate `body`). */
function refusal(schema: z.ZodType, input: unknown) {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error("expected a refusal");
  const err = fromZod("body", parsed.error);
  return { detail: err.message, issues: (err.details as { issues: { path: string; message: string }[] }).issues };
}

describe("a refused record key, as the problem says it", () => {
  it("a price's engine key: the engine-name rule, the key named — not 'Invalid key in record'", () => {
    for (const key of ["кодекс", "a b", "c".repeat(33), "Codex", ""]) {
      const { detail, issues } = refusal(SettingsPatchSchema, { prices: { [key]: { usdPerMillionIn: 1 } } });
      expect(detail, key).toBe(`body.prices: key ${JSON.stringify(key)}: ${RULE}`);
      expect(issues[0], key).toEqual({ path: "body.prices", message: `key ${JSON.stringify(key)}: ${RULE}` });
      expect(detail).not.toContain("Invalid key in record");
    }
  });

  it("any record with a key rule is told so, in its own rule's words (zod's own where the rule has none)", () => {
    const lower = z.string().regex(/^[a-z]+$/, { error: "must be lowercase letters" });
    const worded = z.object({ counts: z.record(lower, z.number()) });
    expect(refusal(worded, { counts: { ok: 1, "Not ok": 2 } }).detail).toBe(
      'body.counts: key "Not ok": must be lowercase letters',
    );
    const plain = z.object({ counts: z.record(z.string().max(3), z.number()) });
    expect(refusal(plain, { counts: { long: 1 } }).detail).toMatch(
      /^body\.counts: key "long": Too big: expected string/,
    );
  });

  it("a 100 KB key is cut: the rule still fits in the bounded detail", () => {
    const key = "K".repeat(100_000);
    const { detail, issues } = refusal(SettingsPatchSchema, { prices: { [key]: null } });
    expect(detail).toMatch(/^body\.prices: key "K+…": must be an engine name like codex/);
    expect(detail.endsWith(RULE)).toBe(true);
    expect(utf8Bytes(issues[0]!.message)).toBeLessThanOrEqual(ISSUE_TEXT_BYTES + 3);
  });
});
