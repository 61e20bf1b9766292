// The OpenAPI document says which request bodies may be left out, as the routes decide it: every operation with a
// JSON body is called through the Worker with none (Content-Type application/json, zero bytes), and a route that
// refuses that with 400 "a JSON body is required" must document `requestBody.required: true`, one that reads the
// empty body as {} (worker/validate `body`'s allowEmpty: claim, heartbeat, an action, a budget pause…) must not.
// OpenAPI's default is `required: false`: the document said every body was optional, and a client generated from it
// could send POST …/tokens or PATCH …/settings bare and be refused.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { OPS, openApiDocument } from "../../src/worker/openapi.ts";
import { validatorProbe } from "../../src/worker/validate.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";

afterEach(() => {
  validatorProbe.seen = undefined;
});

type Doc = { paths: Record<string, Record<string, { requestBody?: { required?: boolean; content: object } }>> };
const DOC = openApiDocument() as Doc;
const PRODUCT = "oa-body-required";

/** One call with an empty body, straight through the Worker's fetch handler (so the probe is this test's). */
async function callBare(method: string, path: string, token: string): Promise<{ status: number; detail?: string }> {
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://gf.test${path}`, { method, headers, body: "" }), env, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  const detail = res.headers.get("content-type")?.includes("problem+json")
    ? (JSON.parse(text) as { detail?: string }).detail
    : undefined;
  return { status: res.status, detail };
}

const isFactory = (role: string) => role === "factory" || role === "lease-holder" || role === "uploader";

describe("request bodies the document marks required", () => {
  it("a body is documented required exactly when its route refuses an empty one", async () => {
    const job = await submit(PRODUCT, { title: "bare" });
    const caller = await enroll(PRODUCT, "caller");
    const target = await enroll(PRODUCT, "target");
    const values: Record<string, string> = {
      productId: PRODUCT,
      jobId: job.id,
      factoryId: target.factoryId,
      action: "cancel",
      lessonId: "les_abc",
      experimentId: "ex_abc",
      key: "k",
      ruleId: "rr_abc",
    };
    expect((await api("GET", `${P(PRODUCT)}/jobs/${job.id}`, { token: ADMIN })).status).toBe(200);
    const problems: string[] = [];
    let checked = 0;
    const order = [...OPS].sort((a, b) => Number(!isFactory(a.role)) - Number(!isFactory(b.role)));
    for (const op of order) {
      const requestBody = DOC.paths[op.path]?.[op.method]?.requestBody;
      if (!op.body || !requestBody) continue;
      const where = `${op.method.toUpperCase()} ${op.path}`;
      let read = false;
      validatorProbe.seen = (u) => {
        if (u.in === "body") read = true;
      };
      const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(values[n] ?? "x"));
      const r = await callBare(op.method.toUpperCase(), path, isFactory(op.role) ? caller.token : ADMIN);
      validatorProbe.seen = undefined;
      if (!read) {
        problems.push(`${where}: answered ${r.status} without reading its body; the test cannot tell`);
        continue;
      }
      checked++;
      const refused = r.status === 400 && r.detail === "a JSON body is required";
      if (refused !== (requestBody.required === true))
        problems.push(
          `${where}: ${refused ? "refuses" : "takes"} an empty body, documented required: ${requestBody.required}`,
        );
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });
});
