// Many jobs at once from the CLI, as real processes against a real local coordinator (its dispatch queue included):
// `batch submit FILE… --wait` sends the files in one jobs:batch, names the refused file, and returns once every
// accepted item has its job; then the README's pipeline — `jobs --stage queued --all --json | jq -r '.jobs[].id' |
// gigafactory cancel -` through a real shell — acts on each job, one line each and the tally, and a job id the
// coordinator does not know among several ids is refused on its own line with exit 1, the others done.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, createProduct, type Harness, startHarness } from "./harness.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const BIN = path.join(ROOT, "bin", "gigafactory.mjs");
const PRODUCT = "e2e-bulk";

let h: Harness;
let dir: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI's environment: none of the caller's GIGAFACTORY_* settings, the connection in the variables. */
function env(): NodeJS.ProcessEnv {
  const kept = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("GIGAFACTORY_")));
  return {
    ...kept,
    GIGAFACTORY_CONFIG: path.join(dir, "none.json"),
    GIGAFACTORY_URL: h.url,
    GIGAFACTORY_TOKEN: ADMIN,
    GIGAFACTORY_PRODUCT: PRODUCT,
  };
}

function cli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, ...args], { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    const out: Result = { code: null, stdout: "", stderr: "" };
    child.stdout.on("data", (d) => {
      out.stdout += d;
    });
    child.stderr.on("data", (d) => {
      out.stderr += d;
    });
    child.on("close", (code) => resolve({ ...out, code }));
  });
}

/** `line` through `sh -c`, `gigafactory` being the CLI: the README's pipelines as a person types them. */
function shell(line: string): Promise<Result> {
  const script = `gigafactory() { "${NODE}" "${BIN}" "$@"; }\n${line}`;
  return new Promise((resolve) => {
    execFile("sh", ["-c", script], { cwd: ROOT, env: env() }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function manifest(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("many jobs at once from the CLI", () => {
  beforeAll(async () => {
    h = await startHarness();
    await createProduct(h.url, PRODUCT);
    dir = mkdtempSync(path.join(tmpdir(), "gf-cli-bulk-"));
  });
  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("batch submit --wait: one request, the refused file named, done once every accepted item has its job", async () => {
    const files = [
      manifest("one.md", "# Bulk one\n"),
      manifest("bad.md", "---\ntitle: Bad\npriority: urgent\n---\n"),
      manifest("two.md", "# Bulk two\n"),
      manifest("three.json", JSON.stringify({ manifest: { title: "Bulk three" }, bodyMd: "Do three." })),
    ];
    const r = await cli("batch", "submit", ...files, "--key", "e2e-bulk-1", "--wait");
    expect(r.code).toBe(1);
    const id = /^✔ batch (\S+): 3 of 4 items accepted, 1 refused$/m.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stdout).toContain(`follow it: gigafactory batch ${id}`);
    expect(r.stdout).toMatch(
      new RegExp(`^batch ${id}: 4 items — 3 created · 0 on their way · 1 rejected \\(done\\)$`, "m"),
    );
    expect(r.stderr).toMatch(new RegExp(`^✘ ERROR invalid_manifest: ${files[1]} \\(item 1\\): .*priority`, "m"));
    // The same files under the same key make no job twice: the three accepted items name their existing jobs.
    const again = await cli("batch", "submit", ...files, "--key", "e2e-bulk-1", "--json");
    const doc = JSON.parse(again.stdout) as { accepted: number; items: Array<{ status: string }> };
    expect(doc.accepted).toBe(3);
    expect(doc.items.map((i) => i.status)).toEqual(["exists", "exists", "exists"]);
  });

  it("acts on the ids a pipe gives (`jobs … --json | jq -r '.jobs[].id' | gigafactory cancel -`), and on several ids", async () => {
    const piped = await shell(
      "gigafactory jobs --stage queued --all --json | jq -r '.jobs[].id' | gigafactory cancel -",
    );
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.split("\n").filter((l) => /^✔ cancel: job \S+ is now cancelled$/.test(l))).toHaveLength(3);
    expect(piped.stdout.trim().split("\n").at(-1)).toBe("✔ 3 cancelled");

    const made = JSON.parse(
      (await cli("batch", "submit", manifest("four.md", "# Bulk four\n"), "--wait", "--json")).stdout,
    );
    const four = (made as { batch: { items: Array<{ jobId: string }> } }).batch.items[0]!.jobId;
    const r = await cli("cancel", four, "job_nope", "--json");
    expect(r.code).toBe(1);
    const entries = JSON.parse(r.stdout) as Array<{ id: string; job?: { stage: string }; error?: { code: string } }>;
    expect(entries.map((e) => e.id)).toEqual([four, "job_nope"]);
    expect(entries[0]!.job?.stage).toBe("cancelled");
    expect(entries[1]!.error?.code).toBe("not_found");
    expect(r.stderr).toMatch(/^✘ ERROR not_found: job job_nope: /m);
  });
});
