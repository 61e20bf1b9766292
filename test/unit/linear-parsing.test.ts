// Parsing is linear in its input: hostile manifests and server details that made a backtracking regex quadratic parse at once.
import { describe, expect, it } from "vitest";
import { formatError } from "../../src/cli/errors.ts";
import { DomainError } from "../../src/core/errors.ts";
import { parseManifest } from "../../src/core/manifest.ts";

/** 250,000 spaces: the issue's example; a quadratic scan of it is ~3·10¹⁰ steps (minutes), a linear one is instant. */
const SPACES = " ".repeat(250_000);

function issuesOf(fn: () => unknown): Array<{ path: string; line?: number; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return ((err as DomainError).details as { issues: Array<{ path: string; line?: number; message: string }> }).issues;
  }
  throw new Error("expected invalid_manifest");
}

describe("the title heading (`# Title`) is read in linear time", () => {
  it('"# a" + 250,000 spaces + "x": the heading is the title, refused as too long, on line 1', () => {
    const issues = issuesOf(() => parseManifest(`# a${SPACES}x`));
    expect(issues).toEqual([expect.objectContaining({ path: "title", line: 1 })]);
    expect(issues[0]!.message).toMatch(/800 bytes/);
  });

  it("a heading padded with 120,000 spaces on each side before its closing hashes is trimmed to its text", () => {
    const pad = " ".repeat(120_000);
    const { manifest } = parseManifest(`# Fix it${pad}##${pad}\r\nbody`);
    expect(manifest.title).toBe("Fix it");
  });

  it("keeps the documented heading forms", () => {
    const title = (md: string) => parseManifest(md).manifest.title;
    expect(title("# Fix the login bug\n")).toBe("Fix the login bug");
    expect(title("#\tTabbed title  ##  \r\n")).toBe("Tabbed title");
    expect(title("# C# is fine\n")).toBe("C# is fine");
    expect(title("# ##\n")).toBe("##");
    expect(title("```\n# not a title\n```\n# The title\n")).toBe("The title");
    expect(issuesOf(() => parseManifest("#no space\n"))).toEqual([expect.objectContaining({ path: "title" })]);
  });
});

describe("the CLI folds a hostile server detail into one line in linear time", () => {
  it("250,000 spaces and no newline, then a newline run", () => {
    const e = { code: "conflict", message: `a${SPACES}b`, fix: `x${SPACES}\n${SPACES}y` };
    const line = formatError(e as Parameters<typeof formatError>[0]);
    expect(line).toBe(`✘ ERROR conflict: a${SPACES}b / x y`);
  });
});
