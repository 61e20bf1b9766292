// `gigafactory artifact ID NAME -o FILE` resumes a download a broken connection cut, against a real HTTP server on
// 127.0.0.1 that answers ranges as the coordinator does (206 for `Range` with a matching `If-Range`, 200 whole when
// If-Range names another version, 416 past the end): the cut run exits 1 (download_interrupted, its fix saying the next
// run resumes at byte N) leaving FILE as it was and the bytes so far in `FILE.<sha256>.part`; the next run asks for
// `bytes=N-` with If-Range the ETag those bytes came with, appends the 206, checks the WHOLE file's SHA-256, renames it
// onto FILE and leaves nothing beside it. An artifact uploaded again between the runs comes whole (never spliced onto
// the old bytes), a part not shorter than the artifact (416) is dropped and the artifact downloaded whole, and a part
// whose bytes are damaged fails the whole file's check and is dropped, so the next run starts over (its fix says
// so, where it blamed the stored artifact). A part another
// live run owns (its pid lock held by a real second process) is neither appended to nor removed: this run downloads
// whole into a file of its own. A download cut before its first byte keeps no (empty) part. A cut download onto a
// read-only FILE (0444) keeps a part its owner may write — it was kept 0444, which the next run, not root, could not
// append to (EACCES: "cannot write FILE") — and FILE ends with its own mode, 0444, and the whole artifact.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { captureCli, connection } from "../support/cli-harness.ts";
import { testTempDir } from "../support/temp-dir.ts";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** 100,000 bytes that differ along their length, so a splice at the wrong place changes the digest. */
const bytesOf = (seed: number) => Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7 + seed) % 256));

/**
 * A stand-in coordinator serving `artifact.bytes` at …/artifacts/run.log with its ETag and digest, honouring one
 * `bytes=N-` range under If-Range; while `cutAfter` is set, a response sends that many bytes and breaks the
 * connection. Records each request's headers.
 */
async function rangeServer(artifact: { bytes: Buffer; cutAfter?: number }) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    const { bytes } = artifact;
    const etag = `"${sha(bytes)}"`;
    const headers = { "content-type": "text/plain", etag, "x-content-sha256": sha(bytes), "accept-ranges": "bytes" };
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const ranged = m && (req.headers["if-range"] === undefined || req.headers["if-range"] === etag);
    const first = ranged ? Number(m[1]) : 0;
    if (ranged && first >= bytes.length) {
      res.writeHead(416, { "content-type": "application/problem+json", "content-range": `bytes */${bytes.length}` });
      return res.end(
        JSON.stringify({ type: "t", title: "t", status: 416, detail: "past the end", code: "range_not_satisfiable" }),
      );
    }
    const body = bytes.subarray(first);
    const range = ranged ? { "content-range": `bytes ${first}-${bytes.length - 1}/${bytes.length}` } : {};
    res.writeHead(ranged ? 206 : 200, { ...headers, ...range, "content-length": String(body.length) });
    if (artifact.cutAfter === undefined) return res.end(body);
    // Ended, not destroyed: a reset could discard bytes the client had not read yet, and the test counts them.
    res.write(body.subarray(0, artifact.cutAfter), () => req.socket.end());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const download = (url: string, file: string, ...extra: string[]) =>
  captureCli(["artifact", "job_1", "run.log", "-o", file, ...extra, ...connection(url, "p")]);

describe("gigafactory artifact -o FILE: a cut download resumes", () => {
  it("keeps the bytes that came, then asks for the rest only (Range + If-Range) and checks the whole file", async () => {
    const artifact = { bytes: bytesOf(1), cutAfter: 30_000 as number | undefined };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    writeFileSync(file, "the previous download\n");
    const cut = await download(url, file);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(
      /^✘ ERROR download_interrupted: the connection broke after 30000 bytes .* \/ run the same command again: it resumes at byte 30000/,
    );
    const part = `run.log.${sha(artifact.bytes)}.part`;
    expect(readdirSync(dir).sort()).toEqual(["run.log", part]);
    expect(readFileSync(join(dir, part))).toEqual(artifact.bytes.subarray(0, 30_000));
    expect(readFileSync(file, "utf8")).toBe("the previous download\n");

    artifact.cutAfter = undefined;
    const resumed = await download(url, file);
    expect(resumed.code).toBe(0);
    expect(seen.map((h) => [h.range, h["if-range"]])).toEqual([
      [undefined, undefined],
      ["bytes=30000-", `"${sha(artifact.bytes)}"`],
    ]);
    expect(readFileSync(file)).toEqual(artifact.bytes);
    expect(resumed.stdout).toContain("100000 bytes written to");
    expect(resumed.stdout).toContain("checked; resumed at byte 30000");
    expect(readdirSync(dir)).toEqual(["run.log"]);
  });

  it("resumes a second cut too, and says so under --json", async () => {
    const artifact = { bytes: bytesOf(2), cutAfter: 10_000 as number | undefined };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    expect((await download(url, file)).stderr).toContain("resumes at byte 10000");
    expect((await download(url, file)).stderr).toContain("resumes at byte 20000");
    expect(seen.map((h) => h.range)).toEqual([undefined, "bytes=10000-"]);
    artifact.cutAfter = undefined;
    const done = await download(url, file, "--json");
    expect(JSON.parse(done.stdout)).toEqual({
      jobId: "job_1",
      name: "run.log",
      file,
      size: 100_000,
      sha256: sha(artifact.bytes),
      checked: true,
      resumedFrom: 20_000,
    });
    expect(readFileSync(file)).toEqual(artifact.bytes);
    expect(readdirSync(dir)).toEqual(["run.log"]);
  });

  it("an artifact uploaded again between the runs comes whole: the old bytes are dropped, never spliced", async () => {
    const artifact = { bytes: bytesOf(3), cutAfter: 40_000 as number | undefined };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    expect((await download(url, file)).code).toBe(1);
    const old = sha(artifact.bytes);
    artifact.bytes = bytesOf(4);
    artifact.cutAfter = undefined;
    const run = await download(url, file);
    expect(run.code).toBe(0);
    expect(seen[1]?.["if-range"]).toBe(`"${old}"`);
    expect(readFileSync(file)).toEqual(artifact.bytes);
    expect(run.stdout).not.toContain("resumed");
    expect(readdirSync(dir)).toEqual(["run.log"]);
  });

  it("a part not shorter than the artifact (416) is dropped and the artifact downloaded whole", async () => {
    const artifact = { bytes: bytesOf(5) };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    writeFileSync(join(dir, `run.log.${sha(artifact.bytes)}.part`), artifact.bytes);
    const run = await download(url, file);
    expect(run.code).toBe(0);
    expect(seen.map((h) => h.range)).toEqual(["bytes=100000-", undefined]);
    expect(readFileSync(file)).toEqual(artifact.bytes);
    expect(readdirSync(dir)).toEqual(["run.log"]);
  });

  it("a part whose bytes are damaged fails the whole file's check and is dropped; the next run starts over", async () => {
    const artifact = { bytes: bytesOf(6) };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    writeFileSync(join(dir, `run.log.${sha(artifact.bytes)}.part`), Buffer.alloc(5000, 0x41));
    const bad = await download(url, file);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^✘ ERROR checksum_mismatch: /);
    // Not "download it again; if it persists the stored artifact is damaged": the kept bytes may be at fault.
    expect(bad.stderr).toContain(
      `/ run the same command again: it downloads ${file} whole (the bytes an earlier run kept are dropped); if that fails too, the stored artifact is damaged\n`,
    );
    expect(readdirSync(dir)).toEqual([]);
    const good = await download(url, file);
    expect(good.code).toBe(0);
    expect(seen.map((h) => h.range)).toEqual(["bytes=5000-", undefined]);
    expect(readFileSync(file)).toEqual(artifact.bytes);
  });

  it("a part another live run owns is left alone: this run downloads whole into a file of its own", async () => {
    const artifact = { bytes: bytesOf(7) };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    const part = join(dir, `run.log.${sha(artifact.bytes)}.part`);
    writeFileSync(part, artifact.bytes.subarray(0, 1000));
    // Another download holding the part: a real process (its command line names `artifact`) that took its lock.
    const lockModule = resolve(import.meta.dirname, "../../src/shared/pid-lock.ts");
    const script = `import(${JSON.stringify(lockModule)}).then((m) => {
      const lock = m.takePidLock(${JSON.stringify(`${part}.lock`)}, () => true);
      process.stdout.write(lock.ok ? "held\\n" : "refused\\n");
      process.stdin.on("end", () => { lock.ok && lock.release(); process.exit(0); }).resume();
    });`;
    const other = spawn(process.execPath, ["-e", script, "artifact"], { stdio: ["pipe", "pipe", "inherit"] });
    onTestFinished(() => {
      if (other.exitCode === null) other.kill();
    });
    const said = await new Promise<string>((r) => other.stdout.once("data", (d: Buffer) => r(d.toString().trim())));
    expect(said).toBe("held");
    const run = await download(url, file);
    expect(run.code).toBe(0);
    expect(seen.map((h) => h.range)).toEqual([undefined]);
    expect(readFileSync(file)).toEqual(artifact.bytes);
    expect(readFileSync(part)).toEqual(artifact.bytes.subarray(0, 1000));
    const exited = new Promise<void>((r) => other.once("exit", () => r()));
    other.stdin.end();
    await exited;
    expect(readdirSync(dir).sort()).toEqual(["run.log", `run.log.${sha(artifact.bytes)}.part`]);
  });

  it("a download cut before a byte came keeps no part: there is nothing to resume from", async () => {
    const { url } = await rangeServer({ bytes: bytesOf(8), cutAfter: 0 });
    const dir = testTempDir("gf-artifact-resume-");
    const run = await download(url, join(dir, "run.log"));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^✘ ERROR download_interrupted: the connection broke after 0 bytes .* \/ download it again/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a cut download onto a read-only FILE keeps a part its owner can append to, and FILE keeps its mode", async () => {
    const artifact = { bytes: bytesOf(9), cutAfter: 25_000 as number | undefined };
    const { url, seen } = await rangeServer(artifact);
    const dir = testTempDir("gf-artifact-resume-");
    const file = join(dir, "run.log");
    writeFileSync(file, "old\n");
    chmodSync(file, 0o444);
    expect((await download(url, file)).stderr).toContain("resumes at byte 25000");
    const part = join(dir, `run.log.${sha(artifact.bytes)}.part`);
    expect(statSync(part).mode & 0o600).toBe(0o600);
    artifact.cutAfter = undefined;
    const done = await download(url, file);
    expect(done.code, done.stderr).toBe(0);
    expect(seen.map((h) => h.range)).toEqual([undefined, "bytes=25000-"]);
    expect(readFileSync(file)).toEqual(artifact.bytes);
    expect(statSync(file).mode & 0o777).toBe(0o444);
    expect(readdirSync(dir)).toEqual(["run.log"]);
  });
});
