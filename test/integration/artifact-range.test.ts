// Artifact downloads in byte ranges (RFC 9110 §14), in workerd against real R2: each single-range form (`a-b`, `a-`,
// `-n`, a last position past the end cut to it) is a 206 with Content-Range, that range's Content-Length and only
// those bytes — counted in bytes, not characters — with the whole download's security headers (sandboxing CSP,
// nosniff, attachment), ETag and Accept-Ranges; a range that selects no byte is a 416 problem with
// `Content-Range: bytes */size`; several ranges, another unit or a malformed header are the whole artifact (200), never
// a 4xx; If-Range naming the artifact's ETag serves the range, and any other validator (an older version's ETag, a
// weak tag, a date) the whole artifact, so a resumed download never splices two versions. Every download (and HEAD)
// says Accept-Ranges: bytes; an If-Range over 1 KiB is a 400 naming it. A range is read from R2 as that range (R2's
// own range read, seen by wrapping the real bucket), never the whole object. Each answer conforms to the served OpenAPI document.
import { createExecutionContext, env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, P, submit } from "./client";
import { documentFaults, servedDocument } from "./openapi-document-check";

const fetcher = () => (exports as unknown as { default: Fetcher }).default;
const DOWNLOAD = "/api/v1/products/{productId}/jobs/{jobId}/artifacts/{name}";

async function put(product: string, jobId: string, name: string, bytes: Uint8Array, type: string): Promise<string> {
  const res = await fetcher().fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": type, "content-length": String(bytes.length) },
    body: bytes,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sha256: string }).sha256;
}

type Got = { status: number; headers: Headers; bytes: Uint8Array; body: unknown };

/** A GET (or HEAD) with `headers`, its answer read whole and checked against the served document. */
async function get(product: string, jobId: string, name: string, headers: Record<string, string>, method = "GET") {
  const res = await fetcher().fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts/${name}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...headers },
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  const json = (res.headers.get("content-type") ?? "").includes("json");
  const got: Got = { status: res.status, headers: res.headers, bytes, body: json ? JSON.parse(text) : text || null };
  expect(documentFaults(await servedDocument(), method, DOWNLOAD, got), JSON.stringify(headers)).toEqual([]);
  return got;
}

const enc = (s: string) => new TextEncoder().encode(s);
/** 26 ASCII bytes then a 2-byte "é" then 4 more: 32 bytes, 31 characters. */
const TEXT = "abcdefghijklmnopqrstuvwxyzé1234";
const BYTES = enc(TEXT);

async function artifact(product: string, name = "log.txt", bytes = BYTES, type = "text/plain") {
  const job = await submit(product, { title: "ranges" });
  const sha = await put(product, job.id, name, bytes, type);
  return { jobId: job.id, sha, etag: `"${sha}"` };
}

describe("artifact downloads in byte ranges", () => {
  it("serves each single-range form as a 206 of exactly those bytes", async () => {
    const product = "art-range-forms";
    const { jobId, sha } = await artifact(product);
    expect(BYTES.length).toBe(32);
    const cases: Array<[string, number, number]> = [
      ["bytes=0-3", 0, 3],
      ["bytes=26-27", 26, 27], // the two bytes of "é": a range counts bytes
      ["bytes=28-", 28, 31],
      ["bytes=-5", 27, 31],
      ["bytes=-500", 0, 31], // a suffix longer than the artifact: all of it
      ["bytes=30-99999999999999999999999", 30, 31], // a last position past the end is cut to it
      ["Bytes = 1-1 ,", 1, 1], // the unit's case, whitespace and an empty list element are allowed
    ];
    for (const [range, first, last] of cases) {
      const got = await get(product, jobId, "log.txt", { range });
      expect(got.status, range).toBe(206);
      expect(Array.from(got.bytes), range).toEqual(Array.from(BYTES.slice(first, last + 1)));
      expect(got.headers.get("content-range"), range).toBe(`bytes ${first}-${last}/32`);
      expect(got.headers.get("content-length"), range).toBe(String(last - first + 1));
      expect(got.headers.get("etag"), range).toBe(`"${sha}"`);
      expect(got.headers.get("x-content-sha256"), range).toBe(sha);
      expect(got.headers.get("accept-ranges"), range).toBe("bytes");
    }
  });

  it("keeps every security header of a download on a 206: sandboxing CSP, nosniff, attachment", async () => {
    const product = "art-range-headers";
    const { jobId } = await artifact(product, "page.html", enc("<script>alert(1)</script>"), "text/html");
    const whole = await get(product, jobId, "page.html", {});
    const part = await get(product, jobId, "page.html", { range: "bytes=0-7" });
    expect([whole.status, part.status]).toEqual([200, 206]);
    expect(new TextDecoder().decode(part.bytes)).toBe("<script>");
    for (const h of ["content-type", "content-disposition", "x-content-type-options", "content-security-policy"])
      expect(part.headers.get(h), h).toBe(whole.headers.get(h));
    expect(part.headers.get("content-type")).toBe("application/octet-stream");
    expect(part.headers.get("content-disposition")).toBe('attachment; filename="page.html"');
    expect(part.headers.get("x-content-type-options")).toBe("nosniff");
    expect(part.headers.get("content-security-policy")).toMatch(/(^|;\s*)sandbox(\s*;|$)/);
  });

  it("answers a range that selects no byte 416, a problem naming the size in Content-Range", async () => {
    const product = "art-range-416";
    const { jobId, etag } = await artifact(product);
    const asked: Array<Record<string, string>> = [
      { range: "bytes=32-" },
      { range: "bytes=40-50" },
      { range: "bytes=-0" },
      { range: "bytes=32-", "if-range": etag },
    ];
    for (const headers of asked) {
      const got = await get(product, jobId, "log.txt", headers);
      expect(got.status, JSON.stringify(headers)).toBe(416);
      expect(got.headers.get("content-range")).toBe("bytes */32");
      expect(got.headers.get("content-type")).toContain("application/problem+json");
      expect(got.body).toMatchObject({ status: 416, code: "range_not_satisfiable", size: 32 });
    }
    const empty = await artifact(product, "empty.txt", new Uint8Array(0));
    for (const range of ["bytes=0-", "bytes=-1"]) {
      const got = await get(product, empty.jobId, "empty.txt", { range });
      expect([got.status, got.headers.get("content-range")], range).toEqual([416, "bytes */0"]);
    }
  });

  it("answers several ranges, another unit or a malformed Range with the whole artifact, 200 — never a 4xx", async () => {
    const product = "art-range-ignored";
    const { jobId } = await artifact(product);
    const ignored = [
      "bytes=0-1,4-5",
      "bytes=0-1, -3",
      "items=0-1",
      "bytes 0-1",
      "bytes=5-2",
      "bytes=a-b",
      "bytes=",
      "bytes=-",
      "bytes=1.5-3",
      "bytes=٣-٤", // digits, but not ASCII ones
      `bytes=0-1${",".repeat(2000)}`, // past the header's 1 KiB
      "",
    ];
    for (const range of ignored) {
      const got = await get(product, jobId, "log.txt", { range });
      expect(got.status, range).toBe(200);
      expect(Array.from(got.bytes), range).toEqual(Array.from(BYTES));
      expect(got.headers.get("content-length"), range).toBe("32");
      expect(got.headers.get("content-range"), range).toBeNull();
      expect(got.headers.get("accept-ranges"), range).toBe("bytes");
    }
  });

  it("serves the range under If-Range only for this version's ETag: another validator gets the whole artifact", async () => {
    const product = "art-range-if";
    const { jobId, etag: old } = await artifact(product);
    const matched = await get(product, jobId, "log.txt", { range: "bytes=26-", "if-range": old });
    expect([matched.status, matched.headers.get("content-range")]).toEqual([206, "bytes 26-31/32"]);
    // A re-upload: the partial bytes held came with the old ETag, so the new version comes whole, not spliced on.
    const newer = enc("a new version, 29 bytes long.");
    const sha = await put(product, jobId, "log.txt", newer, "text/plain");
    for (const ifRange of [old, `W/"${sha}"`, sha, "Sat, 05 Dec 2026 09:00:00 GMT", "garbage"]) {
      const got = await get(product, jobId, "log.txt", { range: "bytes=26-", "if-range": ifRange });
      expect(got.status, ifRange).toBe(200);
      expect(new TextDecoder().decode(got.bytes), ifRange).toBe("a new version, 29 bytes long.");
      expect(got.headers.get("etag"), ifRange).toBe(`"${sha}"`);
    }
    // If-Range without Range is nothing to act on; a mismatched If-Range does not make a 416 either.
    expect((await get(product, jobId, "log.txt", { "if-range": old })).status).toBe(200);
    expect((await get(product, jobId, "log.txt", { range: "bytes=500-", "if-range": old })).status).toBe(200);
  });

  it("refuses an If-Range over 1 KiB of UTF-8 (400 naming it), as every header the Worker reads is bounded", async () => {
    const product = "art-range-if-long";
    const { jobId, etag } = await artifact(product);
    // At the limit it is only another validator (the whole artifact); one byte past it is refused.
    const atLimit = `${etag}${" ".repeat(1024 - etag.length - 1)}x`;
    expect((await get(product, jobId, "log.txt", { range: "bytes=0-", "if-range": atLimit })).status).toBe(200);
    const long = await get(product, jobId, "log.txt", { range: "bytes=0-", "if-range": `${atLimit}x` });
    expect(long.status).toBe(400);
    expect(long.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("If-Range") });
  });

  it("says Accept-Ranges on every download and HEAD; HEAD and a 304 ignore Range", async () => {
    const product = "art-range-head";
    const { jobId, etag } = await artifact(product);
    const head = await get(product, jobId, "log.txt", { range: "bytes=0-3" }, "HEAD");
    expect([head.status, head.headers.get("accept-ranges"), head.headers.get("content-length")]).toEqual([
      200,
      "bytes",
      "32",
    ]);
    expect(head.headers.get("content-range")).toBeNull();
    const revalidated = await get(product, jobId, "log.txt", { range: "bytes=0-3", "if-none-match": etag });
    expect(revalidated.status).toBe(304);
    expect((await get(product, jobId, "log.txt", {})).headers.get("accept-ranges")).toBe("bytes");
  });

  it("reads only the range from R2, never the whole object", async () => {
    const product = "art-range-r2";
    const big = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
    const { jobId } = await artifact(product, "blob.bin", big, "application/octet-stream");
    const reads: unknown[] = [];
    const bucket = env.ARTIFACTS;
    // The real bucket, its reads recorded: what the route asks R2 for.
    const spied = new Proxy(bucket, {
      get: (target, prop) =>
        prop === "get"
          ? (key: string, opts?: R2GetOptions) => {
              reads.push(opts?.range ?? "whole");
              return target.get(key, opts);
            }
          : Reflect.get(target, prop).bind(target),
    });
    const url = `http://gf.test${P(product)}/jobs/${jobId}/artifacts/blob.bin`;
    const ask = (range: string) =>
      worker.fetch(
        new Request(url, { headers: { authorization: `Bearer ${ADMIN}`, range } }) as Parameters<
          typeof worker.fetch
        >[0],
        { ...env, ARTIFACTS: spied },
        createExecutionContext(),
      );
    const tail = await ask("bytes=-4");
    expect(tail.status).toBe(206);
    expect(Array.from(new Uint8Array(await tail.arrayBuffer()))).toEqual(Array.from(big.slice(-4)));
    const middle = await ask("bytes=1000-1009");
    expect(Array.from(new Uint8Array(await middle.arrayBuffer()))).toEqual(Array.from(big.slice(1000, 1010)));
    expect(reads).toEqual([
      { offset: 1024 * 1024 - 4, length: 4 },
      { offset: 1000, length: 10 },
    ]);
  });
});
