// Artifact revalidation: a download names its sha256 as a strong ETag, so `If-None-Match` with that tag (or `*`, or
// the tag as weak, or in a list) answers 304 with no body, and any other tag the bytes again; HEAD answers the
// headers a GET would (length, ETag, how it is shown) without a body. Both are answered from the pointer alone.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, P, submit } from "./client";

const fetcher = () => (exports as unknown as { default: Fetcher }).default;

async function put(product: string, jobId: string, name: string, text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text);
  const res = await fetcher().fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/plain", "content-length": String(bytes.length) },
    body: bytes,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sha256: string }).sha256;
}

function get(product: string, jobId: string, name: string, init: { method?: string; ifNoneMatch?: string } = {}) {
  const headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` };
  if (init.ifNoneMatch !== undefined) headers["if-none-match"] = init.ifNoneMatch;
  return fetcher().fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts/${name}`, {
    method: init.method ?? "GET",
    headers,
  });
}

describe("artifact downloads: ETag revalidation and HEAD", () => {
  it("answers 304 with no body to a matching If-None-Match, in every spelling the RFC allows", async () => {
    const product = "art-etag";
    const job = await submit(product, { title: "x" });
    const sha = await put(product, job.id, "log.txt", "hello ünïcode\n");
    for (const tag of [`"${sha}"`, `W/"${sha}"`, `"nope", "${sha}"`, "*"]) {
      const res = await get(product, job.id, "log.txt", { ifNoneMatch: tag });
      expect(res.status, tag).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("etag")).toBe(`"${sha}"`);
    }
    const stale = await get(product, job.id, "log.txt", { ifNoneMatch: '"0000"' });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe("hello ünïcode\n");
  });

  it("a re-upload changes the ETag, so the old tag gets the new bytes", async () => {
    const product = "art-etag-new";
    const job = await submit(product, { title: "x" });
    const first = await put(product, job.id, "out.txt", "one");
    const second = await put(product, job.id, "out.txt", "two");
    expect(second).not.toBe(first);
    const res = await get(product, job.id, "out.txt", { ifNoneMatch: `"${first}"` });
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(`"${second}"`);
    expect(await res.text()).toBe("two");
  });

  it("HEAD answers a GET's headers with no body; a missing artifact is 404 either way", async () => {
    const product = "art-head";
    const job = await submit(product, { title: "x" });
    const sha = await put(product, job.id, "log.txt", "héllo");
    const head = await get(product, job.id, "log.txt", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(new TextEncoder().encode("héllo").length));
    expect(head.headers.get("etag")).toBe(`"${sha}"`);
    expect(head.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(head.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await head.text()).toBe("");
    expect((await get(product, job.id, "nope.txt", { method: "HEAD" })).status).toBe(404);
    expect((await get(product, job.id, "nope.txt", { ifNoneMatch: "*" })).status).toBe(404);
  });
});
