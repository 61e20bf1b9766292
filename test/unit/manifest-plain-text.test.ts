// A job's manifest holds to the boundary's control-character rule (core/plain-text) on every path that makes a job:
// its title — shown in `jobs`, `watch`, list rows, webhooks and tracker comments — its repo and its idempotency key
// take no C0, DEL or C1 character, whether given as JSON (submit, bulk), as Markdown frontmatter or heading, as a
// `children:` entry, through POST …/children or through tracker ingest; each refusal names the field. An ESC in a
// title had been stored and came back out into operators' terminals. The body is free text and left as given. A job
// stored before the rule is still read and delivered: the answer and queue-message schemas do not apply it.
import { describe, expect, it } from "vitest";
import { DomainError } from "../../src/core/errors.ts";
import { type ManifestIssue, parseManifest, validateManifest } from "../../src/core/manifest.ts";
import { ChildManifestSchema, ManifestInputSchema } from "../../src/core/manifest-schema.ts";
import { TrackerIngestBody } from "../../src/shared/api.ts";
import { ChildrenBody } from "../../src/shared/api-policies.ts";
import { JobSchema } from "../../src/shared/api-responses.ts";
import { DispatchMessageSchema } from "../../src/worker/queues/messages.ts";

/** The issues of the invalid_manifest `fn` throws (fails the test when it throws nothing or something else). */
function issuesOf(fn: () => unknown): ManifestIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("invalid_manifest");
    return (err as DomainError & { details: { issues: ManifestIssue[] } }).details.issues;
  }
  throw new Error("expected invalid_manifest, nothing was thrown");
}

const ESC_SEQUENCE = "\u001b]52;c;aGk=\u0007"; // OSC 52: writes the operator's clipboard
/** C0 (tab and newline included: a title is one line), DEL and C1 (0x9B is a one-byte CSI). */
const REFUSED = [0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x7f, 0x85, 0x9b];

describe("a title holds no control character", () => {
  it.each(REFUSED)("character %i in a JSON manifest's title is refused, naming title", (c) => {
    const issues = issuesOf(() => validateManifest({ title: `fix ${String.fromCharCode(c)}it` }));
    expect(issues.map((i) => i.path)).toEqual(["title"]);
    expect(issues[0]!.message).toContain("no control characters");
  });

  it("in Markdown: a frontmatter title and a heading with ESC are refused at their line", () => {
    const front = issuesOf(() => parseManifest(`---\npriority: high\ntitle: "fix ${"\\u001b"}[2J"\n---\nbody\n`));
    expect(front).toEqual([expect.objectContaining({ path: "title", line: 3 })]);
    const heading = issuesOf(() => parseManifest(`intro\n\n# fix ${ESC_SEQUENCE} now\n`));
    expect(heading).toEqual([expect.objectContaining({ path: "title", line: 3 })]);
  });

  it("a composite's child, a POST …/children entry and a tracker item: each refusal names its title", () => {
    const child = issuesOf(() =>
      validateManifest({ title: "parent", children: [{ title: "ok" }, { title: "a\u0000" }] }),
    );
    expect(child.map((i) => i.path)).toEqual(["children.1.title"]);
    const added = ChildrenBody.safeParse({ children: [{ title: `x${ESC_SEQUENCE}` }] });
    expect(added.error?.issues.map((i) => i.path)).toEqual([["children", 0, "title"]]);
    const item = TrackerIngestBody.safeParse({ source: "github", externalId: "7", title: "line one\nline two" });
    expect(item.error?.issues.map((i) => i.path)).toEqual([["title"]]);
  });

  it("a repo with a C1 control and an idempotency key with a newline are refused, naming each", () => {
    const issues = issuesOf(() =>
      validateManifest({ title: "t", repo: "https://example.com/a\u009b2J.git", idempotencyKey: "k\nforged" }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(["idempotencyKey", "repo"]);
  });

  it("plain titles pass: any script, emoji, right-to-left text; the body keeps its tabs, CRLF and ESC", () => {
    for (const title of ["Fix the login bug", "Zoë 漢字 😀", "תקן את הבאג", "a — b ‘c’"]) {
      expect(validateManifest({ title }).title).toBe(title);
    }
    const md = "# Title\r\n\r\n\tcode\r\npasted: \u001b[31mred\u001b[0m\r\n";
    expect(parseManifest(md)).toMatchObject({ manifest: { title: "Title" }, bodyMd: md });
    expect(ChildManifestSchema.safeParse({ title: "t", bodyMd: "a\u001b[1mb" }).success).toBe(true);
  });
});

describe("stored jobs stay readable", () => {
  const stored = { title: `old ${ESC_SEQUENCE}\ttitle`, idempotencyKey: "k\u0000", children: [{ title: "c\u001b" }] };

  it("a manifest stored before the rule is still a manifest to the answer and queue-message schemas", () => {
    expect(ManifestInputSchema.safeParse(stored).success).toBe(true);
    const message = {
      kind: "submit",
      productId: "p",
      actor: "a",
      origin: "api",
      items: [{ manifest: stored, bodyMd: "" }],
    };
    expect(DispatchMessageSchema.safeParse(message).error).toBeUndefined();
    const job = JobSchema.shape.manifest.safeParse(stored);
    expect(job.success).toBe(true);
  });
});
