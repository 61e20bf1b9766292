// `gigafactory artifacts ID` and `gigafactory artifact ID NAME [-o FILE]` over a real local socket: the list shows
// name, size, uploader and when (the API's list under --json); a download goes to stdout (also `-o -`), or to FILE with its byte
// count, and bytes whose SHA-256 differs from the one the coordinator recorded are refused as checksum_mismatch; a
// connection that breaks mid-download is `download_interrupted` (it was `internal: terminated … a CLI bug`) and
// leaves -o FILE as it was (it left the bytes that came, truncated, in place of what FILE held). A coordinator (or
// whatever --url names) that hands out one list cursor again is a bad_response, not a list paged for ever.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { GigafactoryClient } from "../../src/shared/http-client.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const NOW = 1_700_000_060_000;
const BYTES = "line 1\nline 2\n";
const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const pointer = {
  jobId: "job_1",
  name: "run.log",
  size: 2048,
  contentType: "text/plain",
  sha256: sha(BYTES),
  createdAt: NOW - 120_000,
  uploadedBy: "factory:fac_1",
};

async function coordinator(recorded = sha(BYTES)) {
  return stubCoordinator((req, reply) => {
    if (new URL(req.url, "http://x").pathname === "/api/v1/products/p/jobs/job_1/artifacts")
      return reply.json(200, { artifacts: [pointer] });
    if (req.url === "/api/v1/products/p/jobs/job_1/artifacts/run.log") {
      return reply.text(200, BYTES, "text/plain", { "x-content-sha256": recorded });
    }
    reply.problem(404, { code: "not_found", title: "not found", detail: "job job_1 has no artifact nope" });
  });
}

describe("gigafactory artifacts", () => {
  it("lists name, size, uploader and when", async () => {
    const stub = await coordinator();
    const run = await captureCli(["artifacts", "job_1", ...connection(stub.url, "p")], { now: NOW });
    expect(run.code).toBe(0);
    const [head, row] = run.stdout.trim().split("\n");
    expect(head).toMatch(/^NAME\s+SIZE\s+TYPE\s+UPLOADED BY\s+WHEN\s+SHA256$/);
    expect(row).toMatch(/^run\.log\s+2\.0 KiB\s+text\/plain\s+factory:fac_1\s+\S+ \(2m ago\)\s+[0-9a-f]{12}$/);
    const json = await captureCli(["artifacts", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout)).toEqual({ artifacts: [pointer] });
  });

  // Named as `jobs` and `job` name a holder (cli/factory-names): it read `factory:fac_0mxch3l8…` (a newcomer, pass 42).
  it("names the factory that uploaded it; an operator's upload, or a factory the fleet list lacks, as answered", async () => {
    const by = (uploadedBy: string) => ({ ...pointer, name: `${uploadedBy.split(":")[1]}.log`, uploadedBy });
    const stub = await stubCoordinator((req, reply) => {
      if (req.url.endsWith("/factories")) return reply.json(200, { factories: [{ id: "fac_1", name: "host-a" }] });
      reply.json(200, { artifacts: [by("factory:fac_1"), by("operator:alice"), by("factory:fac_gone")] });
    });
    const run = await captureCli(["artifacts", "job_1", ...connection(stub.url, "p")], { now: NOW });
    const uploaders = run.stdout
      .trim()
      .split("\n")
      .slice(1)
      .map((l) => l.split(/\s{2,}/)[3]);
    expect(uploaders).toEqual(["host-a", "operator:alice", "factory:fac_gone"]);
    const json = await captureCli(["artifacts", "job_1", "--json", ...connection(stub.url, "p")]);
    expect(JSON.parse(json.stdout).artifacts[0].uploadedBy).toBe("factory:fac_1"); // --json: the API's own words
  });

  it("downloads to stdout, or to -o FILE", async () => {
    const stub = await coordinator();
    const out = await captureCli(["artifact", "job_1", "run.log", ...connection(stub.url, "p")]);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(BYTES);
    const file = join(testTempDir("gf-artifact-"), "run.log");
    const saved = await captureCli(["artifact", "job_1", "run.log", "-o", file, ...connection(stub.url, "p")]);
    expect(saved.code).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(BYTES);
    expect(saved.stdout).toContain(`run.log: ${BYTES.length} bytes written to ${file}`);
  });

  it('`-o -` is stdout, as for curl and wget (it made a file named "-" in the current directory)', async () => {
    const dash = resolve("-");
    const there = existsSync(dash);
    // Without the fix the file lands in the test's working directory: removed, unless it was there before.
    onTestFinished(() => (there ? undefined : rmSync(dash, { force: true })));
    const stub = await coordinator();
    const out = await captureCli(["artifact", "job_1", "run.log", "-o", "-", ...connection(stub.url, "p")]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(BYTES);
    expect(existsSync(dash)).toBe(there);
    const json = await captureCli(["artifact", "job_1", "run.log", "-o", "-", "--json", ...connection(stub.url, "p")]);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/^✘ ERROR usage: --json needs -o FILE \(not stdout\)/);
  });

  it("refuses --json without -o (usage, exit 2) before downloading: the bytes are not a JSON document", async () => {
    const stub = await coordinator();
    const run = await captureCli(["artifact", "job_1", "run.log", "--json", ...connection(stub.url, "p")]);
    expect({ code: run.code, stdout: JSON.parse(run.stdout).error.code }).toEqual({ code: 2, stdout: "usage" });
    expect(run.stderr).toMatch(/^✘ ERROR usage: --json needs -o FILE/);
    expect(stub.lines).toEqual([]);
  });

  it("names a missing artifact as one ✘ ERROR line", async () => {
    const stub = await coordinator();
    const run = await captureCli(["artifact", "job_1", "nope", ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR not_found: job job_1 has no artifact nope \/ /);
  });
});

describe("gigafactory artifact: integrity", () => {
  it("refuses bytes whose SHA-256 is not the recorded one", async () => {
    const stub = await coordinator(sha("something else"));
    const file = join(testTempDir("gf-artifact-"), "x");
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", file, ...connection(stub.url, "p")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^✘ ERROR checksum_mismatch: \S+: the bytes' SHA-256 is [0-9a-f]{64}, the coordinator/);
    expect(existsSync(file)).toBe(false);
  });
});

/** A coordinator that promises `size` bytes, sends 1000 of them, and cuts the connection. */
async function cutMidBody(size = 100_000): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": String(size) });
    res.write("x".repeat(1000), () => req.socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("gigafactory artifacts: a list cursor handed out twice", () => {
  it("is bad_response, exit 1, after two pages — not a list that pages for ever", async () => {
    let pages = 0;
    // The same cursor each time; after 50 pages the stand-in stops, so a CLI that follows it ends (and fails here).
    const stub = await stubCoordinator((_req, reply) => {
      pages++;
      reply.json(200, { artifacts: [pointer], ...(pages < 50 ? { nextCursor: "run.log" } : {}) });
    });
    const run = await captureCli(["artifacts", "job_1", ...connection(stub.url, "p")]);
    expect({ code: run.code, pages }).toEqual({ code: 1, pages: 2 });
    expect(run.stderr).toMatch(/^✘ ERROR bad_response: the coordinator handed out the page cursor "run\.log" twice/);
    expect(run.stdout).toBe("");
    // The shared client's own paging (`listArtifacts`) refuses it too, on the second page.
    pages = 0;
    const client = new GigafactoryClient({ url: stub.url, product: "p", token: "t" });
    await expect(client.listArtifacts("job_1")).rejects.toThrow('artifact cursor "run.log" handed out twice');
    expect(pages).toBe(2);
  });
});

describe("gigafactory artifact: a download cut mid-body", () => {
  it("is download_interrupted, exit 1, and -o FILE keeps what it held (no partial file left beside it)", async () => {
    const url = await cutMidBody();
    const dir = testTempDir("gf-artifact-");
    const file = join(dir, "run.log");
    writeFileSync(file, "the previous download\n");
    for (const extra of [["-o", file], []]) {
      const run = await captureCli(["artifact", "job_1", "run.log", ...extra, ...connection(url, "p")]);
      expect({ extra, code: run.code }).toEqual({ extra, code: 1 });
      expect(run.stderr).toMatch(
        /^✘ ERROR download_interrupted: the connection broke after \d+ bytes .* \/ download it again/,
      );
    }
    expect(readFileSync(file, "utf8")).toBe("the previous download\n");
    expect(readdirSync(dir)).toEqual(["run.log"]);
  });

  it("a fresh -o FILE is not created at all", async () => {
    const url = await cutMidBody();
    const dir = testTempDir("gf-artifact-");
    const run = await captureCli(["artifact", "job_1", "run.log", "-o", join(dir, "new.log"), ...connection(url, "p")]);
    expect(run.code).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });
});
