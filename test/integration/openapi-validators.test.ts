// The OpenAPI document's query, path and header parameters are the validators the routes really use: every
// documented operation is called once through the Worker while worker/validate reports each query, path and header
// validator the route applied (`validatorProbe`), and each documented parameter must come from that very validator —
// its name, its JSON Schema (bounds, pattern), whether it is required — and each validator applied must be
// documented, on the route the document names (a header such as Idempotency-Key or Last-Event-ID that a route
// validates but the document omits, or documents with other bounds, fails). The serial gates' `{key}` is documented
// with its rule (1 to 800 bytes, no control characters, not . or ..), not as a bare string. Also: every operation
// has an `x-role` the document defines (enrollment and lease-holder included), and both live feeds document
// Last-Event-ID. Bodies: each route reads its body within the byte limit its document gives (`x-max-bytes`: 8 MiB
// for jobs:batch, 64 KiB by default), a manifest as markdown and an artifact's bytes too, and reads no body the
// document does not describe.
// Every route reads its query through a validator: one that takes no parameters through NO_QUERY, which refuses any.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { SERIAL_KEY_MAX_BYTES } from "../../src/core/serial-gates.ts";
import { ProductId } from "../../src/shared/api.ts";
import worker from "../../src/worker/index.ts";
import { OPS, openApiDocument } from "../../src/worker/openapi.ts";
import { PATH_PARAMS, paramSchema, queryParameters, ROLES } from "../../src/worker/openapi-params.ts";
import { NO_QUERY, type ValidatorUse, validatorProbe } from "../../src/worker/validate.ts";
import { ADMIN, api, enroll, P, submit } from "./client.ts";
import { directStatus } from "./openapi-call.ts";

afterEach(() => {
  validatorProbe.seen = undefined;
});

type Param = { name: string; in: string; required: boolean; schema: unknown };
type Doc = {
  components: { "x-roles": Record<string, string> };
  paths: Record<
    string,
    Record<
      string,
      {
        "x-role"?: string;
        parameters: Param[];
        requestBody?: { content: Record<string, { "x-max-bytes"?: number }> };
      }
    >
  >;
};
const DOC = openApiDocument() as Doc;

const PRODUCT = "oa-validators";

type ParamUse = Exclude<ValidatorUse, { in: "body" }>;

describe("documented parameters are the routes' validators", () => {
  it("every operation's query and path parameters match what its route validated, and vice versa", async () => {
    const job = await submit(PRODUCT, { title: "params" });
    const worker1 = await enroll(PRODUCT, "caller"); // whose token makes the factory calls
    const target = await enroll(PRODUCT, "target"); // whose id the operator calls change (rotate, revoke, rm)
    const minted = await api<{ id: string }>("POST", `${P(PRODUCT)}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "oa" },
    });
    const values: Record<string, string> = {
      productId: PRODUCT,
      jobId: job.id,
      factoryId: target.factoryId,
      tokenId: minted.body.id,
      batchId: "batch-1",
      name: "log.txt",
      action: "cancel",
      alertId: "al_000000000000",
      lessonId: "les_abc",
      experimentId: "ex_abc",
      key: "k",
      ruleId: "rr_abc",
    };
    const problems: string[] = [];
    let validated = 0;
    // Factory calls first: the operator calls below rotate and revoke a factory's token.
    const order = [...OPS].sort((a, b) => Number(!isFactory(a.role)) - Number(!isFactory(b.role)));
    for (const op of order) {
      const where = `${op.method.toUpperCase()} ${op.path}`;
      const uses: ParamUse[] = [];
      const bodyLimits: number[] = [];
      validatorProbe.seen = (u) => (u.in === "body" ? bodyLimits.push(u.limit) : uses.push(u));
      const path = op.path.replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(values[n] ?? "x"));
      const token = op.role === "none" ? undefined : isFactory(op.role) ? worker1.token : ADMIN;
      const status = await directStatus(op.method.toUpperCase(), path, token);
      validatorProbe.seen = undefined;
      validated += uses.length;
      // Body: a JSON body is read within the byte limit the document gives it, and no undocumented body is read.
      const jsonBody = DOC.paths[op.path]?.[op.method]?.requestBody?.content["application/json"];
      for (const limit of bodyLimits) {
        if (!jsonBody) problems.push(`${where}: reads a JSON body the document does not describe (${status})`);
        else if (jsonBody["x-max-bytes"] !== limit)
          problems.push(`${where}: reads its body within ${limit} bytes, documented ${jsonBody["x-max-bytes"]}`);
      }
      if (jsonBody && bodyLimits.length === 0 && status !== 401 && status !== 403)
        problems.push(`${where}: documents a JSON body its route never read (${status})`);
      const documented = DOC.paths[op.path]?.[op.method]?.parameters ?? [];
      // The route the validators ran on is the documented one.
      const route = op.path.replace(/\{(\w+)\}/g, ":$1");
      for (const u of uses) if (u.route !== route) problems.push(`${where}: validated on route ${u.route}`);
      // Query: the documented parameters are exactly the validator's keys, described by that validator.
      const queryUse = uses.find((u) => u.in === "query");
      const docQuery = documented.filter((p) => p.in === "query");
      // A route that takes no query parameters reads its query through NO_QUERY, which refuses any.
      if (!queryUse && status !== 401 && status !== 403)
        problems.push(`${where}: its route never read its query, so an unknown parameter is ignored (${status})`);
      if (queryUse && queryUse.schema !== (op.query ?? NO_QUERY)) {
        problems.push(`${where}: its route validates the query with another schema than the document's (${status})`);
      }
      if (!queryUse && docQuery.length > 0)
        problems.push(`${where}: documents a query its route never read (${status})`);
      if (queryUse) {
        expect(docQuery, where).toEqual(queryParameters(queryUse.schema as z.ZodObject));
      }
      // Path: every parameter a route validated is documented with its validator's schema, and every documented
      // one (but the product, checked by the auth middleware) was validated.
      for (const u of uses.filter((x) => x.in === "path")) {
        const d = documented.find((p) => p.in === "path" && p.name === u.name);
        if (!d) problems.push(`${where}: validates path parameter ${u.name}, undocumented`);
        else if (JSON.stringify(d.schema) !== JSON.stringify(paramSchema(u.schema)))
          problems.push(`${where}: {${u.name}} documented unlike its validator`);
        if (PATH_PARAMS[u.name!] !== u.schema) problems.push(`${where}: {${u.name}} read through another validator`);
      }
      for (const d of documented.filter((p) => p.in === "path" && p.name !== "productId")) {
        if (!uses.some((u) => u.in === "path" && u.name === d.name))
          problems.push(`${where}: documents {${d.name}}, which its route never validated (${status})`);
      }
      // Headers (names are case-insensitive): each one validated is documented, through that validator, and each
      // documented one was validated.
      const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();
      for (const u of uses.filter((x) => x.in === "header")) {
        const d = documented.find((p) => p.in === "header" && same(u.name, p.name));
        if (!d) problems.push(`${where}: validates header ${u.name}, undocumented`);
        else if (JSON.stringify(d.schema) !== JSON.stringify(paramSchema(u.schema)))
          problems.push(`${where}: header ${u.name} documented unlike its validator`);
        const declared = op.headers?.find((h) => same(u.name, h.name));
        if (declared && declared.schema !== u.schema)
          problems.push(`${where}: header ${u.name} documented through another schema than its route's`);
      }
      for (const d of documented.filter((p) => p.in === "header")) {
        if (!uses.some((u) => u.in === "header" && same(u.name, d.name)))
          problems.push(`${where}: documents header ${d.name}, which its route never validated (${status})`);
      }
    }
    expect(problems).toEqual([]);
    // The probe saw the routes at work: at least one validator for every documented path or query parameter.
    const expected = OPS.reduce(
      (n, op) =>
        n +
        (op.query ? 1 : 0) +
        (op.headers?.length ?? 0) +
        [...op.path.matchAll(/\{(\w+)\}/g)].filter((m) => m[1] !== "productId").length,
      0,
    );
    expect(validated).toBeGreaterThanOrEqual(expected);
  });

  it("a raw body's documented limit is the route's: a manifest as markdown, an artifact's bytes", async () => {
    const raw = (path: string, type: string) => DOC.paths[path]?.post?.requestBody?.content[type]?.["x-max-bytes"];
    const jobs = `${P("{productId}")}/jobs`;
    const bodyLimits: number[] = [];
    validatorProbe.seen = (u) => u.in === "body" && bodyLimits.push(u.limit);
    const ctx = createExecutionContext();
    const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "text/markdown" };
    const req = new Request(`http://gf.test${P(PRODUCT)}/jobs`, { method: "POST", headers, body: "no frontmatter" });
    await (await worker.fetch(req, env, ctx)).body?.cancel();
    await waitOnExecutionContext(ctx);
    expect(bodyLimits).toEqual([raw(jobs, "text/markdown")]);
    expect(raw(jobs, "text/plain")).toBe(raw(jobs, "text/markdown"));
    // An artifact is streamed, not read: its declared size is checked against the documented limit.
    const job = await submit(PRODUCT, { title: "raw" });
    const max = raw(`${P("{productId}")}/jobs/{jobId}/artifacts`, "*/*")!;
    const over = await api("POST", `${P(PRODUCT)}/jobs/${job.id}/artifacts?name=a.bin`, {
      token: ADMIN,
      headers: { "content-type": "application/octet-stream", "content-length": String(max + 1) },
    });
    expect([over.status, (over.body as { limit?: number }).limit]).toEqual([413, max]);
  });

  it("a serial gate's {key} is documented with its rule: 1 to 800 bytes of UTF-8, no control characters, not . or ..", () => {
    for (const action of ["freeze", "unfreeze"]) {
      const params = DOC.paths[`${P("{productId}")}/serial/{key}/${action}`]?.post?.parameters ?? [];
      const schema = params.find((p) => p.in === "path" && p.name === "key")?.schema as Record<string, unknown>;
      expect(schema, action).toMatchObject({
        type: "string",
        minLength: 1,
        maxLength: SERIAL_KEY_MAX_BYTES,
        description: `at most ${SERIAL_KEY_MAX_BYTES} bytes of UTF-8`,
      });
      const pattern = new RegExp(schema.pattern as string);
      expect(
        ["repo/main", "漢🙂"].map((k) => pattern.test(k)),
        action,
      ).toEqual([true, true]);
      expect(
        ["a\nb", "tab\there", "del\u007f", "c1\u0085", ".", ".."].some((k) => pattern.test(k)),
        action,
      ).toBe(false);
    }
  });

  it("the product in every path is described by the validator the auth middleware applies", () => {
    expect(PATH_PARAMS.productId).toBe(ProductId);
    for (const [path, methods] of Object.entries(DOC.paths)) {
      for (const op of Object.values(methods)) {
        const p = op.parameters.find((x) => x.in === "path" && x.name === "productId");
        if (path.includes("{productId}")) expect(p?.schema, path).toEqual(paramSchema(ProductId));
      }
    }
  });
});

describe("roles and headers in the document", () => {
  it("every operation has an x-role the document defines, the enrollment and lease-holder roles included", () => {
    const used = new Set<string>();
    for (const [path, methods] of Object.entries(DOC.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op["x-role"], `${method} ${path}`).toBeDefined();
        expect(Object.keys(DOC.components["x-roles"]), `${method} ${path}`).toContain(op["x-role"]);
        used.add(op["x-role"]!);
      }
    }
    expect(DOC.components["x-roles"]).toEqual(ROLES);
    expect(DOC.paths[`${P("{productId}")}/factories/enroll`]?.post?.["x-role"]).toBe("enrollment");
    for (const [method, path] of [
      ["patch", "/jobs/{jobId}"],
      ["post", "/jobs/{jobId}/lease/renew"],
      ["post", "/jobs/{jobId}/lease/release"],
    ] as const) {
      expect(DOC.paths[`${P("{productId}")}${path}`]?.[method]?.["x-role"], path).toBe("lease-holder");
    }
    expect([...used].sort()).toEqual(Object.keys(ROLES).sort());
  });

  it("both live feeds document the Last-Event-ID header", () => {
    for (const feed of ["ws", "stream"]) {
      const params = DOC.paths[`${P("{productId}")}/jobs/{jobId}/events/${feed}`]?.get?.parameters ?? [];
      expect(
        params.find((p) => p.in === "header" && p.name === "Last-Event-ID"),
        feed,
      ).toBeDefined();
    }
  });
});

function isFactory(role: string): boolean {
  return role === "factory" || role === "lease-holder" || role === "uploader";
}
