// The dashboard's text boxes count UTF-8 bytes, as the server does (dashboard/byte-limit.js): each mirrored limit is
// the server's own — its constant, and the bound its validator enforces (the limit passes, one byte more is
// refused) — the count is core/bytes utf8Bytes for any text (lone surrogates included) of the trimmed text sent,
// and a lesson of 400 "漢" (400 characters, 1,200 bytes) is over where a maxlength of 1024 let it through. No box
// keeps a character maxlength for a byte limit: the one left is the engine's, whose pattern is ASCII. A box holding a
// control character the server refuses (a pasted form feed or ESC) says which and where, exactly when the server would.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { BYTE_LIMITS, byteCount, utf8Bytes as dashboardBytes } from "../../dashboard/byte-limit.js";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { LESSON_LIMITS } from "../../src/core/lessons.ts";
import { MAX_COMMENT_BYTES } from "../../src/core/review.ts";
import { FREEZE_REASON_MAX_BYTES, SERIAL_KEY_MAX_BYTES } from "../../src/core/serial-gates.ts";
import { ACTION_NOTE_MAX_BYTES, ActionBody } from "../../src/shared/api.ts";
import { LessonBody } from "../../src/shared/api-lessons.ts";
import { FreezeBody, ReviewBody, SerialKeyParam } from "../../src/shared/api-policies.ts";

/** Each box's limit, the server's constant, and how the server's validator takes a text of that box. */
const BOXES: Array<[keyof typeof BYTE_LIMITS, number, (text: string) => z.ZodSafeParseResult<unknown>]> = [
  ["lessonText", LESSON_LIMITS.textMaxBytes, (text) => LessonBody.safeParse({ text })],
  ["serialKey", SERIAL_KEY_MAX_BYTES, (key) => SerialKeyParam.safeParse(key)],
  ["freezeReason", FREEZE_REASON_MAX_BYTES, (reason) => FreezeBody.safeParse({ reason })],
  ["reviewComment", MAX_COMMENT_BYTES, (comment) => ReviewBody.safeParse({ verdict: "approve", comment })],
  ["actionNote", ACTION_NOTE_MAX_BYTES, (note) => ActionBody.safeParse({ note })],
];

/** `bytes` UTF-8 bytes of text made of "漢" (3 bytes), padded with "a": fewer characters than bytes. */
const wide = (bytes: number) => "漢".repeat(Math.floor(bytes / 3)) + "a".repeat(bytes % 3);

describe("the dashboard's byte-limited boxes", () => {
  it("mirror every limit the server sets, and cover every box the dashboard sends under one", () => {
    expect(Object.keys(BYTE_LIMITS).sort()).toEqual(BOXES.map(([name]) => name).sort());
  });

  it.each(
    BOXES,
  )("%s: the limit is the server's, and its validator takes exactly that many bytes", (name, limit, take) => {
    expect(BYTE_LIMITS[name]).toBe(limit);
    expect(take(wide(limit)).success).toBe(true);
    expect(take(wide(limit + 1)).success).toBe(false);
    expect(byteCount(wide(limit), limit).over).toBe(false);
    expect(byteCount(wide(limit + 1), limit).over).toBe(true);
  });

  it("count UTF-8 bytes as the server does, for any text", () => {
    const texts = fc.oneof(
      fc.string({ unit: "binary", maxLength: 60 }),
      fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 30 }).map((units) => String.fromCharCode(...units)),
    );
    fc.assert(
      fc.property(texts, (text) => {
        expect(dashboardBytes(text)).toBe(utf8Bytes(text));
      }),
      { numRuns: 1000 },
    );
    expect(dashboardBytes("\uD800x")).toBe(utf8Bytes("\uD800x")); // a lone surrogate: 3 bytes, as U+FFFD
  });

  it("a lesson of 400 漢 (400 characters, 1,200 bytes) is over; the text counted is the trimmed text sent", () => {
    const lesson = "漢".repeat(400);
    expect(lesson.length).toBeLessThan(BYTE_LIMITS.lessonText); // what a maxlength counted
    expect(byteCount(lesson, BYTE_LIMITS.lessonText)).toMatchObject({
      bytes: 1200,
      over: true,
      text: "1200 / 1024 bytes",
    });
    expect(byteCount(lesson, BYTE_LIMITS.lessonText).problem).toMatch(/at most 1024 bytes of UTF-8, and this is 1200/);
    expect(byteCount("  漢  ", 3)).toEqual({ bytes: 3, over: false, text: "3 / 3 bytes", problem: null });
  });

  it("refuse, before sending, exactly the control characters the server refuses, saying which and where", () => {
    // Printable text with the controls a paste brings (form feed, ESC, a lone CR, tab, C1) mixed in.
    const unit = fc.constantFrom(
      "a",
      "漢",
      " ",
      "\t",
      "\n",
      "\r\n",
      "\r",
      "\f",
      "\u001b",
      "\u007f",
      "\u0085",
      "\u0000",
    );
    const texts = fc.array(unit, { maxLength: 12 }).map((parts) => `a${parts.join("")}b`);
    fc.assert(
      fc.property(texts, (text) => {
        for (const [name, limit, take] of BOXES) {
          const kind = name === "serialKey" ? "name" : "text";
          expect(byteCount(text, limit, kind).problem === null, `${String(name)}: ${JSON.stringify(text)}`).toBe(
            take(text.trim()).success,
          );
        }
      }),
      { numRuns: 500 },
    );
    expect(byteCount("page one\nab\fpage two", BYTE_LIMITS.actionNote).problem).toBe(
      "not plain text: it holds U+000C (form feed) at line 2, column 3; remove it",
    );
    expect(byteCount("key\tb", BYTE_LIMITS.serialKey, "name").problem).toMatch(/U\+0009 \(tab\) at line 1, column 4/);
  });

  it("keep no character maxlength for a byte limit: the only one left is the engine's (ASCII by its pattern)", () => {
    const dir = new URL("../../dashboard/", import.meta.url);
    const left = readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .flatMap((f) => [...readFileSync(new URL(f, dir), "utf8").matchAll(/id: "([\w-]+)"[^)]*maxlength: "\d+"/g)])
      .map((m) => m[1]);
    expect(left).toEqual(["lesson-engine"]);
  });
});
