// `gigafactory submit` over a real local socket: --json keeps what the table shows — one entry per file, in the order
// given, with its file and created/existing (the Idempotent-Replayed answer; on stderr, "→ job (already submitted)"
// and a closing count, where it read as a new job), and a refused file as its error with
// code, message and fix — and a markdown manifest refused over a `children:` list is told how children are given,
// while one refused over a misspelt key is told the key it probably meant (the allowed keys the refusal lists include
// `children`, and `priorty:` used to get the children fix); a directory given as a file is told to pass its `*.md`;
// a file that is not UTF-8 (a Windows-1252 `café`) is refused by name and line, and nothing of it is sent — it was
// decoded with U+FFFD for each bad byte and submitted, a job titled `caf�`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseManifest } from "../../src/core/manifest.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const dir = mkdtempSync(join(tmpdir(), "gf-submit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Answers by the manifest's title: "new" → 201, "old" → 200 replayed, "kids" → the server's children refusal. */
async function coordinator() {
  return stubCoordinator((req, reply) => {
    const title = /title: (\w+)/.exec(req.text)?.[1] ?? "";
    const job = { id: `job_${title}`, title, stage: "queued" };
    if (title === "new") reply.json(201, job);
    else if (title === "old") reply.json(200, job, { "idempotent-replayed": "true" });
    else if (title === "parsed") {
      // The coordinator's own refusal of this manifest (core/manifest), word for word.
      const detail = (() => {
        try {
          parseManifest(req.text);
          return "parsed";
        } catch (err) {
          return (err as Error).message;
        }
      })();
      reply.problem(400, { code: "invalid_manifest", title: "invalid manifest", status: 400, detail });
    } else
      reply.problem(400, {
        code: "invalid_manifest",
        title: "invalid manifest",
        status: 400,
        detail: "invalid manifest: line 6: children: inconsistent indentation (only one level of nesting is supported)",
      });
  });
}

describe("submit --json", () => {
  it("answers one entry per file with its file and result, errors included, in the order given", async () => {
    const stub = await coordinator();
    const files = [
      file("a.md", "---\ntitle: new\n---\n"),
      file("b.md", "---\ntitle: kids\n---\n"),
      file("c.md", "---\ntitle: old\n---\n"),
    ];
    const run = await captureCli(["submit", ...files, "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout);
    expect(doc).toEqual([
      { file: files[0], result: "created", job: { id: "job_new", title: "new", stage: "queued" } },
      {
        file: files[1],
        error: {
          code: "invalid_manifest",
          message: expect.stringContaining("line 6: children:"),
          fix: expect.stringContaining("gigafactory children ID FILE.json"),
        },
      },
      { file: files[2], result: "existing", job: { id: "job_old", title: "old", stage: "queued" } },
    ]);
  });
});

describe("submit: manifests already submitted", () => {
  it("says so on each progress line and in the closing count, not only `existing` in the table", async () => {
    const stub = await coordinator();
    const files = [file("n.md", "---\ntitle: new\n---\n"), file("o.md", "---\ntitle: old\n---\n")];
    const run = await captureCli(["submit", ...files, ...connection(stub.url, "p")]);
    expect(run.code).toBe(0);
    const lines = run.stderr.trim().split("\n");
    expect(lines).toContain(`✔ [${lines.findIndex((l) => l.includes("n.md")) + 1}/2] ${files[0]} → job_new`);
    expect(lines.find((l) => l.includes("o.md"))).toMatch(/^✔ \[\d\/2\] .*o\.md → job_old \(already submitted\)$/);
    expect(lines.at(-1)).toBe("1 submitted, 1 already submitted (their idempotencyKey matched a job; none made)");
    expect(run.stdout).toMatch(/job_old\s+old\s+queued\s+existing/);
  });
});

describe("submit: a markdown manifest with children", () => {
  it("says children need a JSON manifest or `gigafactory children`", async () => {
    const stub = await coordinator();
    const md = file("parent.md", "---\ntitle: kids\nchildren:\n  - title: x\n---\n");
    const run = await captureCli(["submit", md, ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      `✘ ERROR invalid_manifest: ${md}: invalid manifest: line 6: children: inconsistent indentation (only one level of nesting is supported) / children: needs a JSON manifest (POST …/jobs with {manifest}) or \`gigafactory children ID FILE.json\` after submitting the parent`,
    );
  });
});

describe("submit: a manifest with a key the coordinator does not know", () => {
  it("names the key probably meant, not the children fix", async () => {
    const stub = await coordinator();
    const md = file("typo.md", "---\ntitle: parsed\npriorty: high\n---\n");
    const run = await captureCli(["submit", md, ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    const line = run.stderr.trim();
    expect(line).toMatch(
      /^✘ ERROR invalid_manifest: .*line 3: priorty: unknown key \(allowed: title, priority, .*children\) \/ /,
    );
    expect(line.split(" / ").at(-1)).toBe(
      "did you mean `priority`? Rename `priorty` in the frontmatter and submit it again",
    );
  });

  it("says to remove or rename a key that is near none, under --json too", async () => {
    const stub = await coordinator();
    const md = file("colour.md", "---\ntitle: parsed\ncolour: blue\n---\n");
    const run = await captureCli(["submit", md, "--json", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)[0].error.fix).toBe(
      "remove `colour` from the frontmatter, or rename it to one of the allowed keys, and submit it again",
    );
  });
});

describe("submit: a directory", () => {
  it("says to pass its manifests, not to check the file's permissions", async () => {
    const stub = await coordinator();
    const run = await captureCli(["submit", `${dir}/`, ...connection(stub.url, "p")]);
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe(
      `✘ ERROR file_unreadable: ${dir}/: is a directory, not a manifest / pass its manifests: \`gigafactory submit ${dir}/*.md\``,
    );
  });
});

describe("submit: a file that is not UTF-8", () => {
  it("is refused by name and line, sent nowhere, while the other files go", async () => {
    const stub = await coordinator();
    const latin1 = join(dir, "latin1.md");
    // A real U+FFFD on line 1 is UTF-8: the line named is the bad byte's.
    writeFileSync(latin1, Buffer.concat([Buffer.from("---\uFFFD\n"), Buffer.from("title: caf\xe9\n---\n", "latin1")]));
    const good = file("fine.md", "---\ntitle: new\n---\n");
    const run = await captureCli(["submit", latin1, good, ...connection(stub.url, "p")]);
    expect(run.code).toBe(2); // the one file that failed is one the command line named and it cannot read
    expect(run.stderr).toContain(
      `✘ ERROR file_not_utf8: ${latin1}: is not UTF-8 text (line 2) / save it as UTF-8 (for example ` +
        `\`iconv -f WINDOWS-1252 -t UTF-8\`) and submit it again`,
    );
    expect(stub.lines).toEqual(["POST /api/v1/products/p/jobs"]);
    expect(stub.seen[0]?.body).toContain("title: new");
  });
});
