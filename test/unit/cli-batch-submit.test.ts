// `gigafactory batch submit FILE…` over a real local socket: the files go in one `POST …/jobs:batch` (markdown as
// `{markdown}`, a .json file as its `{manifest, bodyMd}`), `--key` as its Idempotency-Key; it prints the batch id, how
// many items were accepted and how many jobs they name, each refused item by its file, and the `gigafactory batch ID`
// that follows it (exit 1 when any was refused); `--wait` reads the batch back until done; `--json` is the API's
// answer. An unreadable file, a malformed --key, or a batch over the route's 8 MiB sends nothing.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-batch-submit-"));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

const ACCEPTED = {
  batchId: "b-1",
  accepted: 3,
  jobs: 2,
  idempotencyKeys: ["content:a", "content:a", "k-c"],
  items: [
    { index: 0, idempotencyKey: "content:a", status: "queued" },
    { index: 1, idempotencyKey: "content:a", status: "queued", repeatOf: 0 },
    { index: 3, idempotencyKey: "k-c", status: "queued" },
  ],
  rejected: [
    { index: 2, status: 400, code: "invalid_manifest", detail: "invalid manifest: line 3: priority: invalid value" },
  ],
};

const VIEW = (done: boolean): BatchView => ({
  id: "b-1",
  createdAt: 1,
  total: 4,
  created: done ? 3 : 1,
  existing: 0,
  queued: done ? 0 : 2,
  rejected: 1,
  jobs: 2,
  items: [],
  done,
});

async function coordinator() {
  let reads = 0;
  const stub = await stubCoordinator((req, reply) => {
    if (req.method === "POST" && req.url === "/api/v1/products/shop/jobs:batch") return reply.json(202, ACCEPTED);
    if (req.url === "/api/v1/products/shop/batches/b-1") return reply.json(200, VIEW(++reads >= 2));
    reply.problem(404, { title: "Not Found", detail: "nope", code: "not_found" });
  });
  return stub;
}

const files = () => [
  file("a.md", "# Alpha\n"),
  file("a2.md", "# Alpha\n"),
  file("bad.md", "---\ntitle: Bad\npriority: urgent\n---\n"),
  file("c.json", JSON.stringify({ manifest: { title: "Gamma", idempotencyKey: "k-c" }, bodyMd: "Do it." })),
];

describe("gigafactory batch submit", () => {
  it("sends every file in one request and says what was accepted, refused, and how to follow it", async () => {
    const stub = await coordinator();
    const named = files();
    const r = await captureCli(["batch", "submit", ...named, "--key", "nightly-1", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(stub.lines).toEqual(["POST /api/v1/products/shop/jobs:batch"]);
    expect(stub.bodies[0]).toEqual({
      items: [
        { markdown: "# Alpha\n" },
        { markdown: "# Alpha\n" },
        { markdown: "---\ntitle: Bad\npriority: urgent\n---\n" },
        { manifest: { title: "Gamma", idempotencyKey: "k-c" }, bodyMd: "Do it." },
      ],
    });
    const out = r.stdout.trim().split("\n");
    expect(out).toEqual([
      "✔ batch b-1: 3 of 4 items accepted (2 jobs: 1 item repeats an earlier one), 1 refused",
      "follow it: gigafactory batch b-1",
    ]);
    expect(r.stderr).toMatch(
      new RegExp(
        `^✘ ERROR invalid_manifest: ${named[2]} \\(item 2\\): invalid manifest: line 3: priority: .+ / fix the file`,
        "m",
      ),
    );
  });

  it("says how many accepted items were already there when the same files are sent again", async () => {
    // A re-sent batch printed "3 items accepted" as if new, where a single submit says `existing` (pass 43).
    const stub = await stubCoordinator((_req, reply) => {
      const items = ACCEPTED.items.map((i) => ({ ...i, status: "exists", jobId: "job_1" }));
      reply.json(202, { ...ACCEPTED, items });
    });
    const r = await captureCli(["batch", "submit", ...files(), ...connection(stub.url, "shop")]);
    expect(r.stdout).toContain(
      "✔ batch b-1: 3 of 4 items accepted, 3 of them already there (existing jobs) (2 jobs: 1 item repeats an earlier one), 1 refused",
    );
  });

  it("sends --key as the batch's Idempotency-Key, and refuses a malformed one before reading a file", async () => {
    const seen: Array<string | undefined> = [];
    const stub = await stubCoordinator((req, reply) => {
      seen.push(req.headers["idempotency-key"] as string | undefined);
      reply.json(202, { ...ACCEPTED, rejected: [], accepted: 4, jobs: 4, items: [] });
    });
    const ok = await captureCli(["batch", "submit", ...files(), "--key", "nightly-1", ...connection(stub.url, "shop")]);
    expect(ok.code).toBe(0);
    expect(seen).toEqual(["nightly-1"]);
    const bad = await captureCli([
      "batch",
      "submit",
      "/nonexistent.md",
      "--key",
      "a\tb",
      ...connection(stub.url, "shop"),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^✘ ERROR usage: --key must be /m);
    // Wider than Latin-1: the HTTP client would throw on it, read as an unreachable coordinator.
    const wide = await captureCli(["batch", "submit", ...files(), "--key", "夜-1", ...connection(stub.url, "shop")]);
    expect(wide.code).toBe(2);
    expect(wide.stderr).toMatch(/^✘ ERROR usage: --key must be printable ASCII/m);
    expect(seen).toHaveLength(1);
  });

  it("--wait reads the batch back until it is done, with progress on stderr", async () => {
    const stub = await coordinator();
    const r = await captureCli(["batch", "submit", ...files(), "--wait", ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1); // item 2 was refused
    expect(stub.lines.filter((l) => l.startsWith("GET"))).toHaveLength(2);
    expect(r.stderr).toContain("… batch b-1: 1 of 4 items have their job, 2 on their way, 1 rejected");
    expect(r.stderr).toContain("✔ batch b-1: 3 of 4 items have their job, 0 on their way, 1 rejected");
    expect(r.stdout).toMatch(/^batch b-1: 4 items — 3 created · 0 on their way · 1 rejected, 2 jobs .*\(done\)$/m);
  });

  it("emits the API's answer under --json, and the batch read back under --json --wait", async () => {
    const stub = await coordinator();
    const r = await captureCli(["batch", "submit", ...files(), "--json", ...connection(stub.url, "shop")]);
    expect(JSON.parse(r.stdout)).toEqual(ACCEPTED);
    const w = await captureCli(["batch", "submit", ...files(), "--json", "--wait", ...connection(stub.url, "shop")]);
    expect(JSON.parse(w.stdout)).toEqual({ ...ACCEPTED, batch: VIEW(true) });
  });

  it("sends nothing when a file cannot be read, naming every such file", async () => {
    const stub = await coordinator();
    const named = [file("ok.md", "# Fine\n"), path.join(dir, "missing-1.md"), path.join(dir, "missing-2.md")];
    const r = await captureCli(["batch", "submit", ...named, ...connection(stub.url, "shop")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^✘ ERROR file_unreadable: .*missing-1\.md: cannot read the file \(ENOENT\) \(and 1 other file: .*missing-2\.md\); nothing was sent \/ /m,
    );
    const json = await captureCli(["batch", "submit", file("x.json", "[1]"), ...connection(stub.url, "shop")]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/^✘ ERROR invalid_json: .*x\.json: a JSON manifest is an object/m);
    expect(stub.lines).toEqual([]);
  });

  it("refuses a batch over 8 MiB before sending it, saying how many files a batch may carry", async () => {
    const stub = await coordinator();
    const body = `# Big\n\n${"x".repeat(200 * 1024)}\n`;
    const big = Array.from({ length: 50 }, (_, i) => file(`big-${i}.md`, body));
    const r = await captureCli(["batch", "submit", ...big, ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1); // the route's own 413 exits 1: one code, one exit (cli/exit-codes)
    expect(r.stderr).toMatch(
      /^✘ ERROR payload_too_large: the batch is 9\.8 MiB of JSON \(50 files\); a jobs:batch request carries at most 8 MiB \/ split the files into batches of at most 40 /m,
    );
    expect(stub.lines).toEqual([]);
  });

  it("reads a 2xx answer of another shape as bad_response, saying the batch may have been accepted", async () => {
    const stub = await stubCoordinator((_req, reply) => reply.json(202, { hello: "world" }));
    const r = await captureCli(["batch", "submit", file("d.md", "# Delta\n"), ...connection(stub.url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR bad_response: .* \/ .*look for its jobs with `gigafactory jobs` before sending it again \(under the same --key, its items make no job twice\)$/m,
    );
  });
});
