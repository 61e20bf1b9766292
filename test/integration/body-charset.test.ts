// A request body declared in a charset other than UTF-8 is a 415 problem+json naming the charset, and changes
// nothing: the Worker reads every body as UTF-8 (JSON is UTF-8, RFC 8259 §8.1), so `application/json; charset=latin1`
// was taken and Latin-1 bytes that happen to spell UTF-8 stored as other characters than the sender meant. `utf-8` in
// any case, quoted or not, and no charset are taken. A media type is compared whole, not by its prefix
// (`application/json-seq` was read as JSON, `text/markdown-x` as markdown).
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, P } from "./client";

type Problem = { type: string; title: string; detail: string; code: string };

/** `text` as Latin-1 bytes (one byte a character, each below U+0100), sent with `contentType`. */
async function sendLatin1(method: string, path: string, text: string, contentType: string) {
  const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
  const request = new Request(`http://gf.test${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": contentType, "content-length": String(bytes.length) },
    body: bytes,
  });
  const res = await worker.fetch(request as Parameters<typeof worker.fetch>[0], env, createExecutionContext());
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as Problem };
}

const jobsOf = async (product: string) =>
  (await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs;

describe("a body declared in a charset other than UTF-8", () => {
  it("is a 415 naming the charset, and no job is made — Latin-1 bytes that also read as UTF-8 included", async () => {
    expect(await jobsOf("charset-json")).toEqual([]); // the product exists
    // "Ã©" in Latin-1 is the bytes C3 A9, which read as UTF-8 are "é": taken, the job had another title.
    const json = `{"manifest":{"title":"Ã© order"}}`;
    for (const type of [
      "application/json; charset=latin1",
      "application/json;charset=ISO-8859-1",
      'application/json; charset="windows-1252"',
      "Application/JSON ; Charset = latin1",
      "application/json; foo=bar; charset=latin1",
    ]) {
      const r = await sendLatin1("POST", `${P("charset-json")}/jobs`, json, type);
      expect([r.status, r.type, r.body.code], type).toEqual([
        415,
        "application/problem+json",
        "unsupported_media_type",
      ]);
      expect(r.body).toMatchObject({ type: expect.any(String), title: expect.any(String) });
      expect(r.body.detail).toMatch(/^charset "(latin1|ISO-8859-1|windows-1252)" is not taken: .*UTF-8/);
    }
    expect(await jobsOf("charset-json")).toEqual([]);
  });

  it('an empty charset= is a 415 that says it names no charset, not that the charset "" is not taken', async () => {
    expect(await jobsOf("charset-empty")).toEqual([]); // the product exists
    for (const type of ["application/json; charset=", 'application/json; charset=""', "application/json; charset= "]) {
      const r = await sendLatin1("POST", `${P("charset-empty")}/jobs`, `{"manifest":{"title":"x"}}`, type);
      expect([r.status, r.body.code], type).toEqual([415, "unsupported_media_type"]);
      expect(r.body.detail, type).toMatch(/^the Content-Type's charset= names no charset: .*UTF-8/);
    }
    expect(await jobsOf("charset-empty")).toEqual([]);
  });

  it("a manifest as markdown too, and a JSON body on any other route", async () => {
    expect(await jobsOf("charset-md")).toEqual([]);
    const md = await sendLatin1(
      "POST",
      `${P("charset-md")}/jobs`,
      "---\ntitle: Ã©\n---\n",
      "text/markdown; charset=latin1",
    );
    expect([md.status, md.body.code]).toEqual([415, "unsupported_media_type"]);
    expect(await jobsOf("charset-md")).toEqual([]);
    const set = await sendLatin1(
      "PATCH",
      `${P("charset-md")}/settings`,
      `{"preemption":true}`,
      "application/json; charset=latin1",
    );
    expect([set.status, set.body.code]).toEqual([415, "unsupported_media_type"]);
    const settings = await api<{ preemption: boolean }>("GET", `${P("charset-md")}/settings`, { token: ADMIN });
    expect(settings.body.preemption).toBe(false);
  });

  it("utf-8 in any case, quoted or not, or no charset, is taken", async () => {
    expect(await jobsOf("charset-ok")).toEqual([]);
    const types = ["application/json; charset=UTF-8", 'application/json; charset="utf-8"', "application/json"];
    for (const [i, type] of types.entries()) {
      const r = await api<{ title: string }>("POST", `${P("charset-ok")}/jobs`, {
        token: ADMIN,
        text: JSON.stringify({ manifest: { title: `é ${i}` } }),
        headers: { "content-type": type },
      });
      expect([r.status, r.body.title], type).toEqual([201, `é ${i}`]);
    }
  });
});

describe("a body's media type", () => {
  it("is compared whole: application/json-seq is not JSON, text/markdown-x not markdown; +json types are JSON", async () => {
    expect(await jobsOf("charset-types")).toEqual([]);
    for (const type of ["application/json-seq", "text/markdown-x", "application/jsonx"]) {
      const r = await api<Problem>("POST", `${P("charset-types")}/jobs`, {
        token: ADMIN,
        text: JSON.stringify({ manifest: { title: "t" } }),
        headers: { "content-type": type },
      });
      expect([r.status, r.body.code, r.body.detail], type).toEqual([
        415,
        "unsupported_media_type",
        `expected application/json, text/markdown or text/plain, got ${type}`,
      ]);
    }
    expect(await jobsOf("charset-types")).toEqual([]);
    const merge = await api<{ title: string }>("POST", `${P("charset-types")}/jobs`, {
      token: ADMIN,
      text: JSON.stringify({ manifest: { title: "merged" } }),
      headers: { "content-type": "application/vnd.acme+json" },
    });
    expect([merge.status, merge.body.title]).toEqual([201, "merged"]);
  });
});

describe("the OpenAPI document", () => {
  it("says so once for every operation, in its info.description", async () => {
    const res = await worker.fetch(
      new Request("http://gf.test/api/v1/openapi.json") as Parameters<typeof worker.fetch>[0],
      env,
      createExecutionContext(),
    );
    const doc = (await res.json()) as { info: { description: string } };
    expect(doc.info.description).toContain("names another charset");
    expect(doc.info.description).toContain("415 `unsupported_media_type`");
  });
});
