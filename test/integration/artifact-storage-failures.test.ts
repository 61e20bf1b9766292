// Whose fault an artifact transfer's failure is decides its answer. R2 refusing or dropping an upload's bytes — at
// once, or after the whole body arrived — is a 503 `unavailable` that says to upload again (it was a 400
// validation_failed "5 of 5 bytes arrived", telling a client with nothing wrong not to retry), nothing kept and the
// same upload passing once R2 is back; a body longer or shorter than its Content-Length stays the client's 400. R2
// failing a download's read is a 503 too, not a 500 "unexpected error".
import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import worker from "../../src/worker/index.ts";
import { ADMIN, P, submit } from "./client.ts";

/** An operator's request through the Worker's handler with this test's `env`, so a spy on its bucket sees it. */
async function call(path: string, init: RequestInit = {}) {
  const headers = { authorization: `Bearer ${ADMIN}`, ...(init.headers as Record<string, string>) };
  const res = await worker.fetch(
    new Request(`http://gf.test${path}`, { ...init, headers }) as Parameters<typeof worker.fetch>[0],
    env,
    createExecutionContext(),
  );
  const text = await res.text();
  return { status: res.status, code: res.status >= 400 ? (JSON.parse(text) as { code: string }).code : "", text };
}

/** Upload `text` as `name`, declaring `declared` bytes (its true length unless told). */
const upload = (product: string, jobId: string, name: string, text: string, declared = text.length) =>
  call(`${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
    method: "POST",
    headers: { "content-length": String(declared), "content-type": "text/plain" },
    body: text,
  });

/** What the job kept: pointers, intents, doomed keys and R2 objects. */
async function kept(product: string, jobId: string) {
  const rows = await runInDurableObject(env.JOB_FEED.getByName(feedName(product, jobId)), (_i, state) => {
    const n = (table: string) => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).one().n;
    return { pointers: n("artifacts"), intents: n("upload_intents"), doomed: n("doomed_bytes") };
  });
  const objects = (await env.ARTIFACTS.list({ prefix: `${product}/${jobId}/` })).objects.length;
  return { ...rows, objects };
}

const bucket = env.ARTIFACTS as R2Bucket & { put: R2Bucket["put"]; get: R2Bucket["get"] };
const realPut = bucket.put;
const realGet = bucket.get;
afterEach(() => {
  bucket.put = realPut;
  bucket.get = realGet;
});

describe("R2 failing an upload is a 503 to retry, not the client's 400", () => {
  it("R2 refusing the bytes after the whole body arrived: 503 unavailable, nothing kept, a resend passes", async () => {
    const product = "art-r2-put-end";
    const job = await submit(product, { title: "x" });
    bucket.put = (async (_key: string, value: ReadableStream) => {
      await new Response(value).arrayBuffer(); // every byte taken, then the write fails
      throw new Error("R2: internal error");
    }) as unknown as R2Bucket["put"];
    const failed = await upload(product, job.id, "log.txt", "hello");
    expect({ status: failed.status, code: failed.code }).toEqual({ status: 503, code: "unavailable" });
    expect(failed.text).toContain("upload it again");
    expect(await kept(product, job.id)).toEqual({ pointers: 0, intents: 0, doomed: 0, objects: 0 });
    bucket.put = realPut;
    expect((await upload(product, job.id, "log.txt", "hello")).status).toBe(201);
  });

  it("R2 refusing the write before reading a byte: 503 unavailable, nothing kept", async () => {
    const product = "art-r2-put-start";
    const job = await submit(product, { title: "x" });
    bucket.put = (async () => {
      throw new Error("R2: service unavailable");
    }) as unknown as R2Bucket["put"];
    const failed = await upload(product, job.id, "log.txt", "hello");
    expect({ status: failed.status, code: failed.code }).toEqual({ status: 503, code: "unavailable" });
    expect(await kept(product, job.id)).toEqual({ pointers: 0, intents: 0, doomed: 0, objects: 0 });
  });

  it("a body longer or shorter than its Content-Length is still the client's 400, nothing kept", async () => {
    const product = "art-r2-lying-length";
    const job = await submit(product, { title: "x" });
    const longer = await upload(product, job.id, "a.txt", "hello", 3);
    expect({ status: longer.status, code: longer.code }).toEqual({ status: 400, code: "validation_failed" });
    expect(longer.text).toContain("longer than its Content-Length");
    const shorter = await upload(product, job.id, "b.txt", "h", 10);
    expect({ status: shorter.status, code: shorter.code }).toEqual({ status: 400, code: "validation_failed" });
    expect(shorter.text).toContain("upload was 1 byte, Content-Length said 10"); // one byte, in the singular
    expect(await kept(product, job.id)).toEqual({ pointers: 0, intents: 0, doomed: 0, objects: 0 });
  });
});

describe("R2 failing a download's read", () => {
  it("is a 503 unavailable that says to download again, not a 500", async () => {
    const product = "art-r2-get";
    const job = await submit(product, { title: "x" });
    expect((await upload(product, job.id, "log.txt", "hello")).status).toBe(201);
    bucket.get = (async () => {
      throw new Error("R2: internal error");
    }) as unknown as R2Bucket["get"];
    const failed = await call(`${P(product)}/jobs/${job.id}/artifacts/log.txt`);
    expect({ status: failed.status, code: failed.code }).toEqual({ status: 503, code: "unavailable" });
    expect(failed.text).toContain("download it again");
    bucket.get = realGet;
    expect(await call(`${P(product)}/jobs/${job.id}/artifacts/log.txt`)).toMatchObject({ status: 200, text: "hello" });
  });
});
