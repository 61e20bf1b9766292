// The headers the API gives clients to read are declared on the answers that carry them: each header the Worker
// exposes to a browser beyond the CORS-safelisted ones (worker/browser-policy EXPOSED_HEADERS; content-length is
// HTTP's own), when an answer carries it, must be a header of that operation's response in the OpenAPI document. An
// artifact's download carried x-content-sha256 (the digest the CLI checks a download against), etag and
// content-disposition with none of them declared; a replayed submit carries idempotent-replayed.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { EXPOSED_HEADERS } from "../../src/worker/browser-policy.ts";
import worker from "../../src/worker/index.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { ADMIN, P, submit } from "./client.ts";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { headers?: object }> }>> };
const DOC = openApiDocument() as Doc;
const PRODUCT = "oa-answer-headers";
const CLIENT_HEADERS = EXPOSED_HEADERS.split(",")
  .map((h) => h.trim())
  .filter((h) => h !== "content-length");

async function call(method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) {
  const headers = { authorization: `Bearer ${ADMIN}`, ...init.headers };
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://gf.test${path}`, { method, headers, body: init.body }), env, ctx);
  await res.arrayBuffer();
  await waitOnExecutionContext(ctx);
  return res;
}

/** The client-read headers `res` carries that the document does not declare on `method template` → its status. */
function undeclared(method: string, template: string, res: Response): string[] {
  const declared = Object.keys(DOC.paths[template]?.[method]?.responses[String(res.status)]?.headers ?? {});
  return CLIENT_HEADERS.filter((h) => res.headers.has(h) && !declared.includes(h)).map(
    (h) => `${method} ${template} ${res.status}: ${h}`,
  );
}

describe("the headers an answer gives a client are declared", () => {
  it("an artifact's download declares its digest, etag and disposition; a replay its idempotent-replayed", async () => {
    const job = await submit(PRODUCT, { title: "headers" });
    const text = "hello";
    const up = await call("POST", `${P(PRODUCT)}/jobs/${job.id}/artifacts?name=log.txt`, {
      headers: { "content-type": "text/plain", "content-length": String(text.length) },
      body: text,
    });
    expect(up.status).toBe(201);
    const down = await call("GET", `${P(PRODUCT)}/jobs/${job.id}/artifacts/log.txt`);
    expect([down.status, down.headers.has("x-content-sha256")]).toEqual([200, true]);
    const manifest = JSON.stringify({ manifest: { title: "replayed", idempotencyKey: "k-1" }, bodyMd: "" });
    const json = { "content-type": "application/json" };
    await call("POST", `${P(PRODUCT)}/jobs`, { headers: json, body: manifest });
    const again = await call("POST", `${P(PRODUCT)}/jobs`, { headers: json, body: manifest });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect([
      ...undeclared("get", `${P("{productId}")}/jobs/{jobId}/artifacts/{name}`, down),
      ...undeclared("post", `${P("{productId}")}/jobs`, again),
    ]).toEqual([]);
  });
});
