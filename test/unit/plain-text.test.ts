// Control characters at the boundary (shared/plain-text), one rule for every field: a *name* — a token's name, a
// reviewer, a tracker item's externalId, a hello's engines — holds none at all (C0, DEL, C1); *free text* — an action's
// note, a lesson's text, a freeze reason, a review comment, a routing rule's reason — keeps tab, newline and a CRLF's
// CR and refuses the rest of C0 and DEL. NUL, ESC (a terminal escape) and a bare CR (a log line overwritten) had been
// stored from each of these. A refusal names the field (its zod path). The answer schemas are untouched: a lesson
// stored before, control characters and all, is still read.
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { ActionBody, MintTokenBody, TrackerIngestBody } from "../../src/shared/api.ts";
import { LessonBody, LessonPatchBody, LessonSchema } from "../../src/shared/api-lessons.ts";
import { FreezeBody, ReviewBody } from "../../src/shared/api-policies.ts";
import { RuleBody } from "../../src/shared/api-routing.ts";
import { FactoryFrame } from "../../src/shared/protocol-factory-frames.ts";

interface Field {
  field: string;
  schema: z.ZodType;
  wrap: (v: string) => unknown;
  /** The issue's path, which the 400 names. */
  path: PropertyKey[];
}

const hello = (engine: string) => ({
  type: "hello",
  v: 1,
  capabilities: [],
  seats: 1,
  engines: [engine],
  agentVersion: "1",
});

const NAMES: Field[] = [
  { field: "token name", schema: MintTokenBody, wrap: (name) => ({ role: "viewer", name }), path: ["name"] },
  { field: "action reviewer", schema: ActionBody, wrap: (reviewer) => ({ reviewer }), path: ["reviewer"] },
  {
    field: "tracker externalId",
    schema: TrackerIngestBody,
    wrap: (externalId) => ({ source: "github", externalId, title: "t", body: "" }),
    path: ["externalId"],
  },
  { field: "hello engine", schema: FactoryFrame, wrap: hello, path: ["engines", 0] },
];

const TEXTS: Field[] = [
  { field: "action note", schema: ActionBody, wrap: (note) => ({ note }), path: ["note"] },
  { field: "lesson text", schema: LessonBody, wrap: (text) => ({ text }), path: ["text"] },
  { field: "lesson text (patch)", schema: LessonPatchBody, wrap: (text) => ({ text }), path: ["text"] },
  { field: "freeze reason", schema: FreezeBody, wrap: (reason) => ({ reason }), path: ["reason"] },
  {
    field: "review comment",
    schema: ReviewBody,
    wrap: (comment) => ({ verdict: "approve", comment }),
    path: ["comment"],
  },
  {
    field: "routing rule reason",
    schema: RuleBody,
    wrap: (reason) => ({ factoryId: "f1", effect: "avoid", reason }),
    path: ["reason"],
  },
];

/** The paths of the issues `schema` finds in `value` (empty: accepted). */
function refusedAt(f: Field, value: string): PropertyKey[][] {
  const r = f.schema.safeParse(f.wrap(value));
  return r.success ? [] : r.error.issues.map((i) => i.path);
}

const C0_BUT_TAB_LF_CR = [...Array(0x20).keys()].filter((c) => c !== 0x09 && c !== 0x0a && c !== 0x0d);

describe("names hold no control character", () => {
  it.each(NAMES)("$field: NUL, ESC, tab, newline, DEL and C1 refused, naming the field; plain text passes", (f) => {
    for (const c of [0x00, 0x1b, 0x09, 0x0a, 0x0d, 0x7f, 0x85, 0x9b]) {
      expect(refusedAt(f, `a${String.fromCharCode(c)}b`), `U+${c.toString(16)}`).toContainEqual(f.path);
    }
    for (const ok of ["claude", "ann@example.com", "Zoë 漢字 😀"]) expect(refusedAt(f, ok)).toEqual([]);
  });
});

describe("free text keeps tab and newline", () => {
  it.each(TEXTS)("$field: every other C0 control, a bare CR and DEL refused, naming the field", (f) => {
    for (const c of [...C0_BUT_TAB_LF_CR, 0x7f]) {
      expect(refusedAt(f, `a${String.fromCharCode(c)}b`), `U+${c.toString(16)}`).toContainEqual(f.path);
    }
    expect(refusedAt(f, "line one\rover it")).toContainEqual(f.path);
    expect(refusedAt(f, "a\tb\nc\r\nd — Zoë 漢字 😀")).toEqual([]);
  });
});

describe("reads do not apply the rule", () => {
  it("a lesson stored with control characters is still a lesson to its answer schema", () => {
    const stored = {
      id: "les_1",
      text: "engine said \u001b[31mfailed\u0000",
      source: "auto",
      capabilities: [],
      count: 1,
      createdAt: 0,
      updatedAt: 0,
      createdBy: "system",
    };
    expect(LessonSchema.safeParse(stored).success).toBe(true);
  });
});
