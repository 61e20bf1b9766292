// The success answers the JSON walks (openapi-answers*) do not reach, checked against the OpenAPI document as the
// Worker serves it (openapi-document-check): an artifact's download as text, as an image and as bytes (each media
// type one the 200 declares, with the digest headers it names), its 304 to an If-None-Match and its HEAD (the same
// headers, no body); an SSE feed's 200 (text/event-stream; read no further); each job action an operator may take on
// a job in review (approve, reject) and after it (ship, requeue, and a requeue of a shipped job refused 409); and a
// budget's resume. A guard: every answer here conformed when it was written.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, claim, enroll, P, rawApi, submit } from "./client.ts";
import { documentFaults, servedDocument } from "./openapi-document-check.ts";

const PRODUCT = "oa-conformance-downloads";
const R = "/api/v1/products/{productId}";

describe("answers the JSON walks do not reach match the served document", () => {
  it("downloads (200, 304, HEAD), the SSE feed, each job action and a budget's resume", async () => {
    const doc = await servedDocument();
    const faults: string[] = [];
    const check = (method: string, template: string, r: Parameters<typeof documentFaults>[3]) => {
      for (const f of documentFaults(doc, method, template, r))
        faults.push(`${method} ${template} → ${r.status}: ${f}`);
    };
    const f = await enroll(PRODUCT, "builder", ["lang:rust"]);
    const job = await submit(PRODUCT, { title: "built", requires: ["lang:rust"], reviewers: 1 });
    const leaseEpoch = (await claim(PRODUCT, f.token)).body.lease.leaseEpoch;
    const J = `${P(PRODUCT)}/jobs/${job.id}`;
    const files: Array<[string, string, string]> = [
      ["log.txt", "text/plain", "built\n"],
      ["shot.png", "image/png", "\x89PNG\r\n"],
      ["out.tar", "application/x-tar", "ustar"],
    ];
    for (const [name, type, text] of files) {
      const up = await api("POST", `${J}/artifacts?name=${name}&leaseEpoch=${leaseEpoch}`, {
        token: f.token,
        text,
        headers: { "content-type": type },
      });
      expect(up.status, name).toBe(201);
      const download = `${R}/jobs/{jobId}/artifacts/{name}`;
      const got = await rawApi("GET", `${J}/artifacts/${name}`, { token: ADMIN });
      expect(got.status, name).toBe(200);
      check("GET", download, got);
      const declared = ["x-content-sha256", "etag", "content-disposition"];
      expect(
        declared.filter((h) => !got.headers.get(h)),
        name,
      ).toEqual([]);
      const etag = got.headers.get("etag") ?? "";
      const again = await rawApi("GET", `${J}/artifacts/${name}`, { token: ADMIN, headers: { "if-none-match": etag } });
      expect([again.status, again.body]).toEqual([304, null]);
      check("GET", download, again);
      const head = await rawApi("HEAD", `${J}/artifacts/${name}`, { token: ADMIN });
      expect([head.status, head.body, head.headers.get("etag")]).toEqual([200, null, etag]);
      check("HEAD", download, head);
    }

    const ctx = createExecutionContext();
    const stream = await worker.fetch(
      new Request(`http://gf.test${J}/events/stream?after=0`, { headers: { authorization: `Bearer ${ADMIN}` } }),
      env,
      ctx,
    );
    await stream.body?.cancel();
    check("GET", `${R}/jobs/{jobId}/events/stream`, { status: stream.status, headers: stream.headers, body: null });
    expect(stream.status).toBe(200);

    const act = async (jobId: string, action: string, json: Record<string, unknown> = {}) => {
      const r = await rawApi("POST", `${P(PRODUCT)}/jobs/${jobId}/actions/${action}`, { token: ADMIN, json });
      check("POST", `${R}/jobs/{jobId}/actions/{action}`, r);
      return r.status;
    };
    const toReview = async (jobId: string, epoch: number) => {
      for (const stage of ["building", "review"]) {
        const r = await api("PATCH", `${P(PRODUCT)}/jobs/${jobId}`, {
          token: f.token,
          json: { leaseEpoch: epoch, stage },
        });
        expect(r.status, stage).toBe(200);
      }
    };
    await toReview(job.id, leaseEpoch);
    expect(await act(job.id, "reject", { note: "again" })).toBe(200);
    const other = await submit(PRODUCT, { title: "approved", requires: ["lang:rust"], reviewers: 1 });
    const claimed = await claim(PRODUCT, f.token);
    expect(claimed.body.job.id).toBe(other.id);
    await toReview(other.id, claimed.body.lease.leaseEpoch);
    expect(await act(other.id, "approve")).toBe(200);
    expect(await act(other.id, "ship")).toBe(200);
    expect(await act(other.id, "requeue")).toBe(409); // shipped is final: a problem the document declares
    expect(await act(job.id, "requeue")).toBe(200);

    await api("PUT", `${P(PRODUCT)}/budget`, {
      token: ADMIN,
      json: { period: "day", ceilingUsd: 5, onExhausted: "pause" },
    });
    expect((await api("POST", `${P(PRODUCT)}/budget/pause`, { token: ADMIN, json: {} })).status).toBe(200);
    const resumed = await rawApi("POST", `${P(PRODUCT)}/budget/resume`, { token: ADMIN, json: {} });
    expect(resumed.status).toBe(200);
    check("POST", `${R}/budget/resume`, resumed);
    expect(faults).toEqual([]);
  });
});
