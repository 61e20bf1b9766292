// Every text limit at the boundary is counted in bytes of UTF-8 through one helper (core/bytes `utf8Text` /
// `fitsUtf8`), never in UTF-16 units: `repo` (500), the webhook URL (2048), a derived Idempotency-Key (128), batch
// markdown and bodies (256 KiB) and the rest were counted in characters, so "漢" (3 bytes) or an emoji (4 bytes, 2
// units) let a field hold up to three times its documented size. For each converted field: a value just within the
// byte limit passes, and a value within the character count but over the byte count is refused (a 400 at the route:
// worker/problem `fromZod`). A source scan keeps `.max(n)` off string schemas for good.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { ChildManifestSchema, ManifestInputSchema } from "../../src/core/manifest-schema.ts";
import { MAX_REPO_BYTES, repoProblem } from "../../src/core/repo-url.ts";
import { BatchItem, DerivedKeyHeader } from "../../src/shared/api.ts";
import { WebhookUrl } from "../../src/shared/api-alerts.ts";
import { LessonBody } from "../../src/shared/api-lessons.ts";
import { RuleBody } from "../../src/shared/api-routing.ts";
import { WebhookMessageSchema } from "../../src/worker/queues/webhooks.ts";

const CJK = "漢"; // 1 UTF-16 unit, 3 bytes
const ASTRAL = "😀"; // 2 UTF-16 units, 4 bytes

/** `prefix` + `ch` repeated to exactly `bytes` bytes of UTF-8 (when it divides), or just past them. */
function fill(prefix: string, ch: string, bytes: number): string {
  const n = Math.ceil((bytes - utf8Bytes(prefix)) / utf8Bytes(ch));
  return prefix + ch.repeat(n);
}

interface Case {
  field: string;
  limit: number;
  /** The field's value → the input the schema is given. */
  wrap: (v: string) => unknown;
  schema: z.ZodType;
  within: string;
  over: string;
}

const url = "https://example.com/";
const CASES: Case[] = [
  {
    field: "manifest repo",
    limit: MAX_REPO_BYTES,
    schema: ManifestInputSchema,
    wrap: (repo) => ({ title: "t", repo }),
    within: fill(url, CJK, 500),
    over: fill(url, CJK, 501 + 2),
  },
  {
    field: "child manifest bodyMd",
    limit: 256 * 1024,
    schema: ChildManifestSchema,
    wrap: (bodyMd) => ({ title: "t", bodyMd }),
    within: fill("a", CJK, 256 * 1024),
    over: fill("", ASTRAL, 256 * 1024 + 4),
  },
  {
    field: "webhook url",
    limit: 2048,
    schema: WebhookUrl,
    wrap: (u) => u,
    within: fill(url, CJK, 2048),
    over: fill(url, CJK, 2049),
  },
  {
    field: "derived Idempotency-Key header",
    limit: 128,
    schema: DerivedKeyHeader,
    wrap: (k) => k,
    within: "é".repeat(64),
    over: "é".repeat(65),
  },
  {
    field: "batch item markdown",
    limit: 256 * 1024,
    schema: BatchItem,
    wrap: (markdown) => ({ markdown }),
    within: fill("a", CJK, 256 * 1024),
    over: fill("", CJK, 256 * 1024 + 1),
  },
  {
    field: "batch item bodyMd",
    limit: 256 * 1024,
    schema: BatchItem,
    wrap: (bodyMd) => ({ manifest: {}, bodyMd }),
    within: fill("a", CJK, 256 * 1024),
    over: fill("", ASTRAL, 256 * 1024 + 4),
  },
  {
    field: "lesson serialKey",
    limit: 800,
    schema: LessonBody,
    wrap: (serialKey) => ({ text: "a lesson", serialKey }),
    within: fill("ab", CJK, 800),
    over: fill("", CJK, 801),
  },
  {
    field: "routing rule jobClass (ASCII by its pattern: bytes are characters)",
    limit: 2400,
    schema: RuleBody,
    wrap: (jobClass) => ({ factoryId: "f1", jobClass, effect: "avoid", reason: "why" }),
    // A class a job can have: 36 capabilities of 64 characters and a 54-character label, 2 400 in all.
    within: `${Array.from({ length: 36 }, (_, i) => `c${String(i).padStart(2, "0")}`.padEnd(64, "a")).join(",")}|class:${"d".repeat(54)}`,
    over: fill("", CJK, 2401),
  },
  {
    field: "webhook queue message deliveryId",
    limit: 100,
    schema: WebhookMessageSchema,
    wrap: (deliveryId) => ({ kind: "webhook", productId: "p", body: { deliveryId, type: "alert.opened" } }),
    within: fill("a", CJK, 100),
    over: fill("", CJK, 102),
  },
];

describe("text limits at the boundary are UTF-8 bytes", () => {
  it.each(CASES)("$field: within $limit bytes passes; within the characters but over the bytes is refused", (c) => {
    expect(utf8Bytes(c.within)).toBeLessThanOrEqual(c.limit);
    expect(c.schema.safeParse(c.wrap(c.within)).success).toBe(true);
    // The refused value has no more UTF-16 units than the limit: a character count would have let it in.
    expect(c.over.length).toBeLessThanOrEqual(c.limit);
    expect(utf8Bytes(c.over)).toBeGreaterThan(c.limit);
    const r = c.schema.safeParse(c.wrap(c.over));
    expect(r.success).toBe(false);
  });

  it("repoProblem (the same rule where the agent checks a repo) counts bytes too", () => {
    expect(repoProblem(fill(url, CJK, 501 + 2))).toBe(`must be 1 to ${MAX_REPO_BYTES} bytes of UTF-8`);
    expect(repoProblem(fill(url, CJK, 500))).toBeUndefined();
  });

  it("no string schema in src bounds its length with zod's `.max(n)` (units), only through utf8Text", () => {
    const root = join(import.meta.dirname, "../../src");
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
      });
    const found: string[] = [];
    for (const file of files(root)) {
      if (file.endsWith("core/bytes.ts")) continue; // utf8Text itself: `.max` as a cheap first cut before the byte count
      // Chained calls joined onto one line, then: `z.string()` followed by `.max(` before the expression ends.
      const text = readFileSync(file, "utf8").replace(/\)\s*\n\s*\./g, ").");
      for (const m of text.matchAll(/z\s*\.string\(\)((?:\.\w+\((?:[^()]|\([^()]*\))*\))*?)\.max\(/g)) {
        found.push(`${file.slice(root.length + 1)}: ${m[0].slice(0, 80)}`);
      }
    }
    expect(found).toEqual([]);
  });
});
