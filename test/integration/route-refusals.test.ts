// A refused request says what the route expects and creates nothing. Limits counted in UTF-8 bytes (not characters)
// name the field over its limit, and a refused `POST …/jobs` names the forms and media types it reads.

import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, P } from "./client";

// Byte limits through the routes (test/unit/byte-limits-at-boundary.test.ts proves each schema): a manifest `repo`
// and a webhook URL within their character counts but over their UTF-8 byte limits (500, 2048) are a 400
// problem+json naming the field, and nothing is created.

const CJK = "漢"; // 3 bytes of UTF-8, 1 UTF-16 unit

describe("byte limits at the routes", () => {
  it("a repo of 181 characters and 503 bytes is refused at submit", async () => {
    const repo = `https://example.com/${CJK.repeat(161)}`;
    expect(repo.length).toBeLessThanOrEqual(500);
    const r = await api<{ code: string; detail: string }>("POST", `${P("bytes-repo")}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "over", repo } },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body.code).toBe("invalid_manifest");
    expect(r.body.detail).toContain("repo");
    const list = await api<{ jobs: unknown[] }>("GET", `${P("bytes-repo")}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toEqual([]);
  });

  it("a webhook URL of 697 characters and 2051 bytes is refused", async () => {
    const url = `https://example.com/${CJK.repeat(677)}`;
    expect(url.length).toBeLessThanOrEqual(2048);
    const r = await api<{ code: string; detail: string }>("PUT", `${P("bytes-webhook")}/webhook`, {
      token: ADMIN,
      json: { url, secret: "s".repeat(32) },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("validation_failed");
    expect(r.body.detail).toContain("url");
    const view = await api("GET", `${P("bytes-webhook")}/webhook`, { token: ADMIN });
    expect(view.status).toBe(404);
  });
});

// A refused `POST …/jobs` says what the route expects. A JSON body that is neither form named nothing ("body:
// Invalid input", from a failed zod union): now it names both forms and the keys it got; a body that names one form
// gets that form's own issue. A body under a media type the route does not read got "expected application/json",
// though the route reads markdown too: the 415 now names all three. Other routes keep their JSON-only 415.

type Problem = { type: string; title: string; detail: string; code: string; status: number };

const post = (product: string, opts: { json?: unknown; text?: string; headers?: Record<string, string> }) =>
  api<Problem>("POST", `${P(product)}/jobs`, { token: ADMIN, ...opts });

const FORMS = "expected {manifest, bodyMd?} or {markdown}";

describe("POST …/jobs refusals name what is expected", () => {
  it("a JSON body in neither form is told both forms and the keys it had", async () => {
    const r = await post("submit-errors", { json: { title: "t", bodyMd: "b" } });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "validation_failed", type: expect.any(String), title: expect.any(String) });
    expect(r.body.detail).toBe(`body: ${FORMS}, got an object with keys title, bodyMd`);
    expect((await post("submit-errors", { json: [1] })).body.detail).toBe(`body: ${FORMS}, got an array`);
    expect((await post("submit-errors", { json: 42 })).body.detail).toBe(`body: ${FORMS}, got number`);
    expect((await post("submit-errors", { json: null })).body.detail).toBe(`body: ${FORMS}, got null`);
  });

  it("a body naming one form is told what is wrong with that form", async () => {
    const md = await post("submit-errors", { json: { markdown: 5 } });
    expect([md.status, md.body.detail]).toEqual([400, expect.stringMatching(/^body\.markdown: /)]);
    const manifest = await post("submit-errors", { json: { manifest: { title: "t" }, bodyMd: 5 } });
    expect([manifest.status, manifest.body.detail]).toEqual([400, expect.stringMatching(/^body\.bodyMd: /)]);
    const extra = await post("submit-errors", { json: { manifest: { title: "t" }, title: "t" } });
    expect(extra.body.detail).toMatch(/^body: Unrecognized key.*title/);
  });

  it("a body under a type the route does not read: the 415 names JSON, markdown and plain text", async () => {
    const r = await post("submit-errors", {
      text: "---\ntitle: t\n---\n",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ code: "unsupported_media_type" });
    expect(r.body.detail).toBe(
      "expected application/json, text/markdown or text/plain, got application/x-www-form-urlencoded",
    );
  });

  it("a body under a Content-Encoding is a 415 naming it, not a 400 'not valid UTF-8'; identity is taken", async () => {
    const gzipped = await new Response(
      new Blob(['{"manifest":{"title":"t"}}']).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    const request = new Request(`http://gf.test${P("submit-errors")}/jobs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(gzipped.byteLength),
      },
      body: gzipped,
    });
    const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, createExecutionContext());
    const sent = { status: res.status, body: (await res.json()) as Problem };
    expect([sent.status, sent.body.code, sent.body.detail]).toEqual([
      415,
      "unsupported_media_type",
      'Content-Encoding "gzip" is not taken: send the body uncompressed',
    ]);
    const plain = await api("POST", `${P("submit-errors")}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "t" } },
      headers: { "content-encoding": "identity" },
    });
    expect(plain.status).toBe(201);
  });

  it("a JSON-only route keeps its JSON-only 415", async () => {
    const r = await api<Problem>("POST", `${P("submit-errors")}/tokens`, {
      token: ADMIN,
      text: "role=viewer",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([r.status, r.body.detail]).toEqual([
      415,
      "expected application/json, got application/x-www-form-urlencoded",
    ]);
  });
});

// A query parameter given twice is refused (400 problem+json naming it), not read as its first value: which one a
// proxy, a cache or another server takes differs (`?after=0&after=9` was read as after=0).
describe("a query parameter given twice", () => {
  it("is 400 validation_failed naming it, at a list, a job's events and the history", async () => {
    const product = "query-twice";
    const job = await api<{ id: string }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "q" } },
    });
    for (const path of [
      `${P(product)}/jobs?limit=1&limit=2`,
      `${P(product)}/jobs/${job.body.id}/events?after=0&after=9`,
      `${P(product)}/history?since=0&since=1`,
    ]) {
      const r = await api<{ code: string; detail: string }>("GET", path, { token: ADMIN });
      expect(r.status, path).toBe(400);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.detail).toMatch(/given 2 times/);
    }
    // Once each, the same reads answer.
    expect((await api("GET", `${P(product)}/jobs?limit=1`, { token: ADMIN })).status).toBe(200);
    expect((await api("GET", `${P(product)}/jobs/${job.body.id}/events?after=0`, { token: ADMIN })).status).toBe(200);
  });
});

// A query whose percent-encoding is not UTF-8 — `%FF`, an encoded lone surrogate, a bare `%` — is refused 400
// validation_failed naming the parameter, at every route that reads a query, as such a path is: the router kept the
// sequence as its literal text, so `…/serial?cursor=%FF` paged after the key "%FF" (and `%25FF`, that key's right
// spelling, after the same one) and `…/lessons?q=%FF` searched for those three characters. Well-formed escapes,
// `%25` and multi-byte characters included, read as before.
const PRODUCT = "query-encoding";
type EncodingProblem = { code?: string; detail?: string };

describe("a query whose percent-encoding is not UTF-8", () => {
  it("is refused 400 naming the parameter when it is not UTF-8, and read as before when it is", async () => {
    const job = await api<{ id: string }>("POST", `${P(PRODUCT)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "watched" } },
    });
    const malformed = ["%FF", "%ED%A0%80", "50%off", "%E6%BC"];
    const reads = [
      ["serial", "cursor"],
      ["lessons", "q"],
      ["jobs", "cursor"],
      [`jobs/${job.body.id}/events/stream`, "ticket"],
    ] as const;
    for (const [path, name] of reads) {
      for (const value of malformed) {
        const r = await api<EncodingProblem>("GET", `${P(PRODUCT)}/${path}?${name}=${value}`, { token: ADMIN });
        expect([path, value, r.status, r.body.code]).toEqual([path, value, 400, "validation_failed"]);
        expect(r.body.detail).toContain(`query "${name}"`);
        expect(r.body.detail).toContain("percent-encoding");
      }
    }
    // A route that takes no query refuses it the same way, not as an unknown key "%FF".
    const none = await api<EncodingProblem>("GET", `${P(PRODUCT)}/whoami?x=%FF`, { token: ADMIN });
    expect([none.status, none.body.detail]).toEqual([400, expect.stringContaining('query "x"')]);
    // Well-formed: a literal percent, a multi-byte character, an escaped ASCII letter.
    for (const q of ["serial?cursor=%25FF", "lessons?q=%E6%BC%A2", "lessons?q=50%25off", "jobs?li%6Dit=5"]) {
      const r = await api("GET", `${P(PRODUCT)}/${q}`, { token: ADMIN });
      expect([q, r.status]).toEqual([q, 200]);
    }
  });
});
