// Job manifests: the spec's example parses to the documented fields, the YAML subset's forms, a verbatim body, and errors that name the key and line.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { formatManifest, type ManifestIssue, parseManifest, validateManifest } from "../../src/core/manifest.ts";
import { MAX_MANIFEST_BYTES, ManifestInputSchema, MIN_BUDGET_USD } from "../../src/core/manifest-schema.ts";
import type { Manifest } from "../../src/core/model.ts";
import { ActionBody } from "../../src/shared/api.ts";

/** Runs `fn`, expects a DomainError("invalid_manifest"), returns it for message/issue assertions. */
function invalid(fn: () => unknown): DomainError & { details: { issues: ManifestIssue[] } } {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("invalid_manifest");
    expect((err as DomainError).status).toBe(400);
    return err as DomainError & { details: { issues: ManifestIssue[] } };
  }
  throw new Error("expected invalid_manifest, nothing was thrown");
}

const fm = (...lines: string[]): string => `---\n${lines.join("\n")}\n---\n`;

const FULL = `---
title: Fix the login bug
priority: high
requires: [os:linux, engine:claude]
prefers:
  - has:docker
engine: claude
repo: https://github.com/acme/app.git
budget: { usd: 5, wallSeconds: 1800 }
deps: [job_abc]
depsMode: all
maxAttempts: 3
serialKey: acme/app
idempotencyKey: TRK-123
reviewers: 1
onReject: requeue
---
Body markdown kept VERBATIM.
`;

describe("parseManifest: the spec example", () => {
  it("parses every field of the documented example", () => {
    const { manifest, bodyMd } = parseManifest(FULL);
    expect(manifest).toEqual({
      title: "Fix the login bug",
      priority: "high",
      requires: ["os:linux", "engine:claude"],
      prefers: ["has:docker"],
      engine: "claude",
      repo: "https://github.com/acme/app.git",
      budget: { usd: 5, wallSeconds: 1800 },
      deps: ["job_abc"],
      depsMode: "all",
      maxAttempts: 3,
      serialKey: "acme/app",
      idempotencyKey: "TRK-123",
      reviewers: 1,
      onReject: "requeue",
      kind: "task",
    } satisfies Manifest);
    expect(bodyMd).toBe("Body markdown kept VERBATIM.\n");
  });

  it("fills every default when only a title is given", () => {
    expect(parseManifest(fm("title: t")).manifest).toEqual({
      title: "t",
      priority: "medium",
      requires: [],
      prefers: [],
      budget: {},
      deps: [],
      depsMode: "all",
      maxAttempts: 3,
      reviewers: 0,
      onReject: "fail",
      kind: "task",
    });
  });
});

describe("parseManifest: YAML-subset syntax forms", () => {
  it("reads double- and single-quoted strings with their escapes", () => {
    const m = parseManifest(fm('title: "say \\"hi\\" \\u00e9\\\\now"', "serialKey: 'it''s: #1'")).manifest;
    expect(m.title).toBe('say "hi" é\\now');
    expect(m.serialKey).toBe("it's: #1");
    // `\t` is read as a tab, which a title may not hold (core/plain-text): refused, not kept as two characters.
    expect(() => parseManifest(fm('title: "say\\tnow"'))).toThrow(/line 2: title: one line, no control/);
  });

  it("reads numbers, including exponents and decimals", () => {
    const m = parseManifest(fm("title: t", "budget: {usd: 2.5, tokens: 1e6}", "maxAttempts: 7")).manifest;
    expect(m.budget).toEqual({ usd: 2.5, tokens: 1_000_000 });
    expect(m.maxAttempts).toBe(7);
  });

  it("treats null, ~ and an empty value as 'not set' so the default applies", () => {
    const m = parseManifest(fm("title: t", "engine: null", "priority: ~", "reviewers:")).manifest;
    expect(m.engine).toBeUndefined();
    expect(m.priority).toBe("medium");
    expect(m.reviewers).toBe(0);
  });

  it("reads true/false as booleans (and the schema rejects them where a string is expected)", () => {
    const err = invalid(() => parseManifest(fm("title: true")));
    expect(err.details.issues[0]).toMatchObject({ path: "title", line: 2 });
  });

  it("reads inline lists, including quoted items with commas, an empty list and a trailing comma", () => {
    const m = parseManifest(fm("title: t", 'requires: ["os:linux", gpu,]', "prefers: []")).manifest;
    expect(m.requires).toEqual(["os:linux", "gpu"]);
    expect(m.prefers).toEqual([]);
    expect(parseManifest(fm('title: "a, b"')).manifest.title).toBe("a, b");
  });

  it("reads block lists indented under the key and at column 0", () => {
    const m = parseManifest(
      fm("title: t", "requires:", "  - os:linux", "", "  - gpu", "prefers:", "- has:docker"),
    ).manifest;
    expect(m.requires).toEqual(["os:linux", "gpu"]);
    expect(m.prefers).toEqual(["has:docker"]);
  });

  it("reads a nested map in block form and in inline form", () => {
    const block = parseManifest(fm("title: t", "budget:", "  usd: 5", "  wallSeconds: 60")).manifest;
    const inline = parseManifest(fm("title: t", "budget: {usd: 5, wallSeconds: 60}")).manifest;
    expect(block.budget).toEqual({ usd: 5, wallSeconds: 60 });
    expect(inline.budget).toEqual(block.budget);
  });

  it("skips comment lines and blank lines, but keeps a # inside a value", () => {
    const m = parseManifest(
      fm("# a comment", "", "title: Fix issue #12", "  # indented comment", "priority: low"),
    ).manifest;
    expect(m.title).toBe("Fix issue #12");
    expect(m.priority).toBe("low");
  });

  it("accepts CRLF line endings in the frontmatter", () => {
    const m = parseManifest("---\r\ntitle: t\r\nrequires:\r\n  - gpu\r\n---\r\nbody\r\n");
    expect(m.manifest.title).toBe("t");
    expect(m.manifest.requires).toEqual(["gpu"]);
    expect(m.bodyMd).toBe("body\r\n");
  });
});

describe("parseManifest: the body is verbatim", () => {
  it("keeps CRLF, trailing spaces, leading blank lines and a --- line inside the body", () => {
    const body = "\r\n# Title  \r\ntrailing   \n---\nnot: frontmatter\n---\n\n\n";
    expect(parseManifest(`${fm("title: t")}${body}`).bodyMd).toBe(body);
  });

  it("returns an empty body when the closing --- is the last line, with or without a newline", () => {
    expect(parseManifest("---\ntitle: t\n---").bodyMd).toBe("");
    expect(parseManifest("---\ntitle: t\n---\n").bodyMd).toBe("");
  });

  it("treats a file without a leading --- as all body and takes the title from the first # heading", () => {
    const text = "Intro line\n## Not h1\n# Real Title #\nmore\n";
    const { manifest, bodyMd } = parseManifest(text);
    expect(bodyMd).toBe(text);
    expect(manifest.title).toBe("Real Title");
  });

  it("falls back to the heading when the frontmatter has no title, skipping # lines inside code fences", () => {
    const body = "```bash\n# not a title\n```\n# Deploy the thing\r\n";
    expect(parseManifest(`${fm("priority: low")}${body}`).manifest.title).toBe("Deploy the thing");
  });

  it("prefers the frontmatter title over the heading", () => {
    expect(parseManifest(`${fm("title: From frontmatter")}# From body\n`).manifest.title).toBe("From frontmatter");
  });
});

describe("parseManifest: errors name the key and line", () => {
  it("rejects a missing title with a hint", () => {
    const err = invalid(() => parseManifest("just text, no heading\n"));
    expect(err.message).toBe("invalid manifest: title: required: add `title:` or a `# Heading` to the body");
  });

  it("rejects an unknown key, naming it, its line and the allowed keys", () => {
    const err = invalid(() => parseManifest(fm("title: t", "colour: red")));
    expect(err.message).toMatch(/^invalid manifest: line 3: colour: unknown key \(allowed: title, priority, /);
    expect(err.details.issues).toEqual([expect.objectContaining({ path: "colour", line: 3 })]);
  });

  it("rejects an unknown key inside budget with the budget keys as the allowed list", () => {
    const err = invalid(() => parseManifest(fm("title: t", "budget:", "  usd: 1", "  euros: 2")));
    expect(err.message).toBe("invalid manifest: line 5: budget.euros: unknown key (allowed: usd, wallSeconds, tokens)");
  });

  it("reports a schema violation on a block-list item at the item's own line", () => {
    const err = invalid(() => parseManifest(fm("title: t", "requires:", "  - ok", "  - 'bad cap!'")));
    expect(err.details.issues).toEqual([
      { path: "requires.1", line: 5, message: "must be a capability like os:linux" },
    ]);
  });

  it("reports every schema problem at once", () => {
    const err = invalid(() => parseManifest(fm("title: t", "priority: urgent", "maxAttempts: 0", "reviewers: 1.5")));
    expect(err.details.issues.map((i) => [i.path, i.line])).toEqual([
      ["priority", 3],
      ["maxAttempts", 4],
      ["reviewers", 5],
    ]);
  });

  it.each([
    ["an unclosed frontmatter", "---\ntitle: t\n", /line 1: the frontmatter opened on line 1 has no closing "---"/],
    ["a line that is not key: value", fm("title: t", "just words"), /line 3: expected "key: value", got "just words"/],
    ["a duplicate key", fm("title: a", "title: b"), /line 3: title: duplicate key \(first on line 2\)/],
    ["indentation before the first key", fm("  title: t"), /line 2: unexpected indentation before the first key/],
    ["an indented line under a key with a value", fm("title: t", "  - x"), /line 3: title: unexpected indentation/],
    ["a tab in indentation", fm("title: t", "requires:", "\t- x"), /line 4: tabs are not allowed/],
    [
      "inconsistent block indentation",
      fm("title: t", "requires:", "  - a", "    - b"),
      /line 5: requires: inconsistent/,
    ],
    [
      "a list item among map entries",
      fm("title: t", "budget:", "  usd: 1", "  - x"),
      /line 5: budget: expected "name: value"/,
    ],
    ["an unclosed inline list", fm("title: t", "requires: [a, b"), /line 3: requires: unclosed "\["/],
    [
      "a nested inline list",
      fm("title: t", "requires: [a, [b]]"),
      /line 3: requires: nested lists\/maps are not supported/,
    ],
    ["an empty inline item", fm("title: t", "requires: [a, , b]"), /line 3: requires: empty item between commas/],
    ["an unterminated double quote", fm('title: "abc'), /line 2: title: malformed double-quoted string/],
    [
      "text after a closing quote",
      fm("title: 'abc' def"),
      /line 2: title: unterminated single-quoted string, or text after/,
    ],
    ["a list nested in a map", fm("title: t", "budget: {usd: [1]}"), /line 3: budget: nested lists\/maps/],
    ["a duplicate nested key", fm("title: t", "budget: {usd: 1, usd: 2}"), /line 3: budget.usd: duplicate key/],
  ])("rejects %s with a line-numbered message", (_name, text, message) => {
    expect(invalid(() => parseManifest(text)).message).toMatch(message);
  });

  it("rejects text over 256 KiB, counting UTF-8 bytes rather than characters", () => {
    expect(invalid(() => parseManifest("x".repeat(MAX_MANIFEST_BYTES + 1))).message).toMatch(
      /larger than 262144 bytes/,
    );
    const multiByte = `# t\n${"é".repeat(MAX_MANIFEST_BYTES / 2)}`; // 2 bytes each: over the limit in bytes only
    expect(multiByte.length).toBeLessThan(MAX_MANIFEST_BYTES);
    expect(invalid(() => parseManifest(multiByte)).message).toMatch(/larger than/);
    expect(parseManifest(`# t\n${"x".repeat(MAX_MANIFEST_BYTES - 4)}`).manifest.title).toBe("t");
  });

  it("does not let a __proto__ key slip past the unknown-key check", () => {
    expect(invalid(() => parseManifest(fm("title: t", "__proto__: x"))).message).toMatch(/__proto__: unknown key/);
  });
});

describe("schema limits", () => {
  it.each([
    ["title over 800 bytes", { title: "x".repeat(801) }, "title"],
    ["title of 201 emoji (804 bytes, 402 UTF-16 units)", { title: "😀".repeat(201) }, "title"],
    ["an idempotency key over 800 bytes", { title: "t", idempotencyKey: "漢".repeat(267) }, "idempotencyKey"],
    ["a capability with a space", { title: "t", requires: ["os linux"] }, "requires.0"],
    ["33 prefers", { title: "t", prefers: Array.from({ length: 33 }, (_, i) => `c${i}`) }, "prefers"],
    ["an upper-case engine", { title: "t", engine: "Claude" }, "engine"],
    ["a zero budget", { title: "t", budget: { usd: 0 } }, "budget.usd"],
    // Under a micro-dollar, the unit spend is summed in, it is 0 there: accepted, it was ended at dispatch unrun.
    ["a budget under a micro-dollar", { title: "t", budget: { usd: 0.0000004 } }, "budget.usd"],
    ["wallSeconds over 7 days", { title: "t", budget: { wallSeconds: 604_801 } }, "budget.wallSeconds"],
    ["fractional tokens", { title: "t", budget: { tokens: 1.5 } }, "budget.tokens"],
    ["a bad dep id", { title: "t", deps: ["has space"] }, "deps.0"],
    ["depsMode some", { title: "t", depsMode: "some" }, "depsMode"],
    ["maxAttempts 21", { title: "t", maxAttempts: 21 }, "maxAttempts"],
    ["reviewers 11", { title: "t", reviewers: 11 }, "reviewers"],
    ["onReject retry", { title: "t", onReject: "retry" }, "onReject"],
    ["kind epic", { title: "t", kind: "epic" }, "kind"],
    ["an empty serialKey", { title: "t", serialKey: "" }, "serialKey"],
    // The gates' rule (core/serial-gates): a key with a control character could never be frozen or unfrozen.
    ["a serialKey with a newline", { title: "t", serialKey: "repo\nmain" }, "serialKey"],
    ["a serialKey with a C1 control", { title: "t", serialKey: "repo\u0085main" }, "serialKey"],
  ])("validateManifest rejects %s at path %s", (_name, input, path) => {
    const err = invalid(() => validateManifest(input));
    expect(err.details.issues.map((i) => i.path)).toContain(path);
    expect(err.details.issues.every((i) => i.line === undefined)).toBe(true);
  });

  it("budget.usd and a requeue's budgetUsd start at one micro-dollar, the unit every spend sum is kept in", () => {
    expect(validateManifest({ title: "t", budget: { usd: MIN_BUDGET_USD } }).budget).toEqual({ usd: 0.000001 });
    expect(ActionBody.safeParse({ budgetUsd: MIN_BUDGET_USD }).success).toBe(true);
    expect(ActionBody.safeParse({ budgetUsd: 0.0000004 }).success).toBe(false);
  });

  it("validateManifest accepts JSON with a composite kind, a parentId and null as 'not set'", () => {
    const m = validateManifest({
      title: "t",
      kind: "composite",
      parentId: "job_1",
      engine: null,
      budget: { usd: null },
    });
    expect(m).toMatchObject({ kind: "composite", parentId: "job_1", budget: {} });
    expect(m.engine).toBeUndefined();
  });

  it("validateManifest rejects a non-object with a document-level issue", () => {
    expect(invalid(() => validateManifest("nope")).details.issues[0]?.path).toBe("");
  });

  it("exposes a strict schema whose parse rejects unknown keys", () => {
    expect(ManifestInputSchema.safeParse({ title: "t", extra: 1 }).success).toBe(false);
  });
});

describe("formatManifest round-trip", () => {
  const tricky: Manifest = {
    ...parseManifest(FULL).manifest,
    title: 'Tricky: "quotes", commas, #hash, 123 and a trailing space ',
    serialKey: "true",
    idempotencyKey: "42",
    parentId: "007",
    deps: ["1e5", "job_x"],
    budget: { usd: 0.25, wallSeconds: 60, tokens: 1000 },
    kind: "composite",
  };

  it.each([
    ["the spec example", parseManifest(FULL).manifest, "Body markdown kept VERBATIM.\n"],
    ["strings that look like numbers, booleans or YAML syntax", tricky, "\r\n---\n# body with CRLF \r\n"],
    ["the defaults-only manifest and an empty body", parseManifest(fm("title: t")).manifest, ""],
  ])("parse(format(m, b)) deep-equals {m, b} for %s", (_name, manifest, body) => {
    expect(parseManifest(formatManifest(manifest, body))).toEqual({ manifest, bodyMd: body });
  });

  it("writes plain values plainly and quotes only what needs quoting", () => {
    const text = formatManifest(tricky, "");
    expect(text).toContain("priority: high\n");
    expect(text).toContain("requires: [os:linux, engine:claude]\n");
    expect(text).toContain('serialKey: "true"\n');
    expect(text).toContain('deps: ["1e5", job_x]\n');
    expect(text).toContain("budget: {usd: 0.25, wallSeconds: 60, tokens: 1000}\n");
    expect(text.startsWith("---\ntitle: ")).toBe(true);
  });
});
