// Proves the README's example job manifest (its first ```yaml block, "A job is a Markdown file") is one the
// coordinator takes: parsed by core/manifest as `gigafactory submit` would, every field it shows kept.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../src/core/manifest.ts";

describe("the README's example manifest", () => {
  it("parses as a job, with each field it shows", () => {
    const readme = readFileSync("README.md", "utf8");
    const block = readme.split("```yaml\n")[1]?.split("```")[0];
    expect(block).toBeDefined();
    const { manifest } = parseManifest(`${block}# The task\n`);
    expect(manifest).toMatchObject({
      title: "Add a health check",
      priority: "high",
      requires: ["lang:ts", "gpu"],
      budget: { usd: 5, tokens: 2_000_000, wallSeconds: 3600 },
      serialKey: "repo:acme/app",
      reviewers: 1,
      idempotencyKey: "issue-1234",
      class: "docs",
    });
  });
});
