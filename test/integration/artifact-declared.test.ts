// An upload's declared headers are checked before a byte streams, in workerd: a Content-Type carrying a bidi override
// or a C1 control (a header's bytes reach the Worker as UTF-8) is a 400 problem+json, where it was stored in the
// pointer and shown in the list, the feed and the dashboard; a Content-Length that is not digits ("0x10") is a 400
// too. Either way nothing is kept: no pointer, no R2 bytes, no upload intent. A body under a Content-Encoding (gzip) is
// a 415: its bytes were stored compressed, served without the coding, its ETag the compressed bytes' digest.
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, api, P, submit } from "./client.ts";

async function upload(product: string, jobId: string, headers: Record<string, string>, body: string) {
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(
    `http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=x.txt`,
    { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, ...headers }, body },
  );
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as { code: string } };
}

describe("an upload's declared headers", () => {
  it("refuses a Content-Type that is not printable ASCII, or a Content-Length that is not digits, keeping nothing", async () => {
    const product = "art-declared";
    const job = await submit(product, { title: "x" });
    for (const [headers, status, code] of [
      [{ "content-length": "2", "content-type": "text/plain\u202e" }, 400, "validation_failed"],
      [{ "content-length": "2", "content-type": "text/plain\u0085" }, 400, "validation_failed"],
      [{ "content-length": "0x2", "content-type": "text/plain" }, 400, "validation_failed"],
      [
        { "content-length": "2", "content-type": "text/plain", "content-encoding": "gzip" },
        415,
        "unsupported_media_type",
      ],
      [{ "content-length": "2", "content-encoding": "br, identity" }, 415, "unsupported_media_type"],
    ] as const) {
      const refused = await upload(product, job.id, headers, "hi");
      expect({ headers, status: refused.status, type: refused.type, code: refused.body.code }).toEqual({
        headers,
        status,
        type: "application/problem+json",
        code,
      });
    }
    const list = await api<{ artifacts: unknown[] }>("GET", `${P(product)}/jobs/${job.id}/artifacts`, { token: ADMIN });
    expect(list.body.artifacts).toEqual([]);
    expect((await env.ARTIFACTS.list({ prefix: `${product}/${job.id}/` })).objects).toEqual([]);
    const intents = await runInDurableObject(
      env.JOB_FEED.getByName(feedName(product, job.id)),
      (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM upload_intents").one().n,
    );
    expect(intents).toBe(0);
    // A plain media type still passes, and so does the identity coding (none).
    expect((await upload(product, job.id, { "content-length": "2", "content-type": "text/plain" }, "hi")).status).toBe(
      201,
    );
    expect(
      (await upload(product, job.id, { "content-length": "2", "content-encoding": "identity" }, "hi")).status,
    ).toBe(201);
  });
});
