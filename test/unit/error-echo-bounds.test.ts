// A validation error echoes a bounded part of its input (core/bytes ISSUES_ECHOED, ISSUE_TEXT_BYTES): an unknown 100 KB
// key or 50,000 bad items come back as a short detail and at most 20 issues of ≤ 256 bytes each — over HTTP
// (worker/problem fromZod), in a manifest (core/manifest) and in a factory's error frame — never as the input itself.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { clipUtf8, ISSUE_TEXT_BYTES, ISSUES_ECHOED, utf8Bytes } from "../../src/core/bytes.ts";
import { validateManifest } from "../../src/core/manifest.ts";
import { parseFactoryFrame } from "../../src/shared/protocol-factory-frames.ts";
import { fromZod } from "../../src/worker/problem.ts";

const BIG_KEY = "k".repeat(100_000);
const BOUND = ISSUE_TEXT_BYTES + 3; // "…" after a cut

function thrown(f: () => unknown): { message: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (err) {
    return err as { message: string; details?: Record<string, unknown> };
  }
  throw new Error("expected a throw");
}

describe("validation errors echo a bounded part of their input", () => {
  it("clipUtf8 cuts on a code point and marks the cut", () => {
    expect(clipUtf8("short")).toBe("short");
    const cut = clipUtf8("😀".repeat(100), 10);
    expect(cut).toBe("😀😀…");
    expect(utf8Bytes(clipUtf8("漢".repeat(1000)))).toBeLessThanOrEqual(BOUND);
  });

  it("HTTP: an unknown 100 KB key, and 50,000 bad items, give a short detail and at most 20 short issues", () => {
    const strict = z
      .object({ a: z.string() })
      .strict()
      .safeParse({ a: "x", [BIG_KEY]: 1 });
    if (strict.success) throw new Error("expected a failure");
    const one = fromZod("body", strict.error);
    expect(utf8Bytes(one.message)).toBeLessThanOrEqual(2 * BOUND);
    const many = z.array(z.number()).safeParse(Array.from({ length: 50_000 }, () => "x"));
    if (many.success) throw new Error("expected a failure");
    const err = fromZod("body", many.error);
    const issues = err.details?.issues as Array<{ path: string; message: string }>;
    expect(issues).toHaveLength(ISSUES_ECHOED);
    expect(err.message).toContain("(and 49999 more)");
    expect(JSON.stringify(err.details).length).toBeLessThan(ISSUES_ECHOED * 2 * BOUND);
  });

  it("a manifest with an unknown 100 KB key, or 5,000 unknown keys, is refused with a bounded message", () => {
    const big = thrown(() => validateManifest({ title: "x", [BIG_KEY]: 1 }));
    expect(utf8Bytes(big.message)).toBeLessThan(4 * BOUND);
    const keys: Record<string, unknown> = { title: "x" };
    for (let i = 0; i < 5_000; i++) keys[`u${i}`] = 1;
    const many = thrown(() => validateManifest(keys));
    expect((many.details?.issues as unknown[]).length).toBe(ISSUES_ECHOED);
    expect(many.message).toContain("more)");
    expect(utf8Bytes(many.message)).toBeLessThan(ISSUES_ECHOED * 2 * BOUND);
  });

  it("a factory frame with an unknown 100 KB key gets an error frame of bounded size", () => {
    const r = parseFactoryFrame(JSON.stringify({ type: "heartbeat", id: "h1", [BIG_KEY]: 1 }));
    expect(r.ok).toBe(false);
    expect(utf8Bytes(JSON.stringify(r))).toBeLessThan(2 * BOUND);
  });
});
