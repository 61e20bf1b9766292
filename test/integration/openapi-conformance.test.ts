// Every operation of the OpenAPI document as the Worker serves it (GET /api/v1/openapi.json) answers what that JSON
// says, for the requests a client gets wrong: each is called with no token, a viewer's, a factory's and an
// operator's, as the admin on an unknown product, with well-formed unknown ids, malformed ones and real ones naming
// things in a state the operation refuses (a queued job, an active factory), and — where it takes a body — with JSON
// that does not parse, JSON of the wrong shape and a media type it does not read. Every answer's status must be one
// the operation declares (exactly or by its 4XX/5XX range) and never a 5xx, its media type one that status declares,
// and its body valid by the schema the document gives it, a problem+json saying type, title, detail and code with its
// own status (test/integration/openapi-document-check; the success answers of a real walk are checked the same way
// in openapi-answers*). Every 401 carries WWW-Authenticate: Bearer and every 426 Upgrade: websocket (none did). A
// `{}` body is refused exactly when the document's schema refuses it. A problem's details never replace its own
// members: releasing a factory that is not quarantined answered `status: "active"` in a 409. HEAD on every GET path
// answers as GET does, with no body; OPTIONS (not a CORS preflight), an unknown method, and HEAD where there is no
// GET are 405 with Allow. A documented path with a trailing slash is 404 naming the path without it: it was 405
// "…/health/ takes GET, HEAD, not GET".
import { describe, expect, it } from "vitest";
import { pathMatcher } from "../../src/worker/method-not-allowed.ts";
import { ADMIN, api, createProduct, enroll, mintToken, P, rawApi } from "./client.ts";
import { type Answer, documentFaults, type ServedDocument, servedDocument } from "./openapi-document-check.ts";
import { schemaFaults } from "./openapi-json-schema.ts";

const PRODUCT = "oa-conformance";

/** Well-formed ids that name nothing. */
const UNKNOWN: Record<string, string> = {
  jobId: "job_unknown1",
  factoryId: "fac_unknown1",
  tokenId: "tok_unknown1",
  codeId: "code_unknown1",
  batchId: "bat_unknown1",
  name: "nothing.txt",
  action: "cancel",
  alertId: "al_000000000000",
  lessonId: "les_unknown1",
  experimentId: "ex_unknown1",
  key: "no-such-key",
  ruleId: "rr_unknown1",
  deadLetterId: "dl-unknown1",
};

const fill = (template: string, product: string, ids: Record<string, string>) =>
  template
    .replace("{productId}", product)
    .replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(ids[n] ?? "unknown-1"));

const MALFORMED = Object.fromEntries(Object.keys(UNKNOWN).map((k) => [k, "bad id!"]));
const JSON_TYPE = "application/json";
/** A product with nothing in it: no jobs, factories, runs or spend (ratios over nothing, empty pages). */
const EMPTY = "oa-conformance-empty";

type Body = { text: string; type: string };
type Call = { what: string; token?: string; product?: string; ids?: Record<string, string>; body?: Body };
type Operation = ServedDocument["paths"][string][string];
/** The product's callers other than the admin, and the real ids of things in it. */
type Callers = { viewer: string; operator: string; factory: string; real: Record<string, string> };

/** The bad calls made of one operation: `ids` fill its path, `body` is sent with its media type. */
function variantsOf(template: string, method: string, op: Operation, ctx: Callers): Call[] {
  const base: Body | undefined = ["get", "delete"].includes(method) ? undefined : { text: "{}", type: JSON_TYPE };
  const admin = { token: ADMIN, body: base };
  const variants: Call[] = [
    { what: "no token", body: base },
    { what: "viewer", token: ctx.viewer, body: base },
    { what: "factory", token: ctx.factory, body: base },
    { what: "operator", token: ctx.operator, body: base },
    { what: "unknown product", ...admin, product: "oa-no-such-product" },
    { what: "unknown ids", ...admin },
    { what: "an empty product", ...admin, product: EMPTY },
  ];
  if (/\{(?!productId)\w+\}/.test(template)) {
    variants.push({ what: "malformed ids", ...admin, ids: MALFORMED });
    // A live event stream does not end (the feed tests read it): a real job's is not read to its end here.
    if (!template.endsWith("/events/stream"))
      variants.push({ what: "real ids in the wrong state", ...admin, ids: ctx.real });
  }
  const content = (op.requestBody as { content?: Record<string, unknown> } | undefined)?.content ?? {};
  if (JSON_TYPE in content) {
    variants.push({ what: "unparsable JSON", token: ADMIN, body: { text: '{"a":', type: JSON_TYPE } });
    variants.push({ what: "JSON of the wrong shape", token: ADMIN, body: { text: "[1]", type: JSON_TYPE } });
    variants.push({ what: "a media type not read", token: ADMIN, body: { text: "<a/>", type: "application/xml" } });
  }
  return variants;
}

/**
 * The request side, for the `{}` a call sent as the admin: when the document's JSON body schema takes `{}`, the
 * route must not refuse the body as invalid; when it does not, the route must not accept it.
 */
function bodyContract(doc: ServedDocument, op: Operation, v: Call, r: Answer, where: string): string[] {
  const schema = (op.requestBody as { content?: Record<string, { schema?: Record<string, unknown> }> } | undefined)
    ?.content?.[JSON_TYPE]?.schema;
  if (!schema || v.body?.text !== "{}") return [];
  const valid = schemaFaults(schema, {}, doc).length === 0;
  const detail = String((r.body as { detail?: unknown } | null)?.detail ?? "");
  const refusedBody = r.status === 400 && /^body\b/.test(detail);
  if (valid && refusedBody) return [`${where}: the document takes {} as the body, the route refused it: ${detail}`];
  if (!valid && r.status < 300) return [`${where}: the document refuses {} as the body, the route took it`];
  return [];
}

describe("every operation answers as the served OpenAPI document says", () => {
  it("to no token, the wrong role, unknown, malformed and real ids, and bodies it cannot read", async () => {
    const doc = await servedDocument();
    await createProduct(PRODUCT);
    await createProduct(EMPTY);
    // Ids that name real things in states most operations refuse: a job no factory can run (still queued), an
    // active factory, a token and an enrollment code — none of them the callers' own, which a call may end.
    const job = await api<{ id: string }>("POST", `${P(PRODUCT)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "stays queued", requires: ["gpu"] } },
    });
    const code = await api<{ id: string }>("POST", `${P(PRODUCT)}/factories/enrollment-codes`, {
      token: ADMIN,
      json: { name: "later" },
    });
    const ctx: Callers = {
      viewer: (await mintToken(PRODUCT, "viewer")).token,
      operator: (await mintToken(PRODUCT, "operator")).token,
      factory: (await enroll(PRODUCT, "caller")).token,
      real: {
        ...UNKNOWN,
        jobId: job.body.id,
        factoryId: (await enroll(PRODUCT, "target")).factoryId,
        tokenId: (await mintToken(PRODUCT, "viewer", "target")).id,
        codeId: code.body.id,
      },
    };
    // What ends a thing (DELETE) comes after every other call on it.
    const operations = Object.entries(doc.paths)
      .flatMap(([template, ops]) => Object.entries(ops).map(([method, op]) => ({ template, method, op })))
      .sort((a, b) => Number(a.method === "delete") - Number(b.method === "delete"));
    const faults: string[] = [];
    let calls = 0;
    for (const { template, method, op } of operations) {
      for (const v of variantsOf(template, method, op, ctx)) {
        const path = fill(template, v.product ?? PRODUCT, v.ids ?? UNKNOWN);
        const headers: Record<string, string> = v.body ? { "content-type": v.body.type } : {};
        const r = await rawApi(method.toUpperCase(), path, { token: v.token, text: v.body?.text, headers });
        calls++;
        const where = `${method.toUpperCase()} ${template} (${v.what}) → ${r.status}`;
        if (r.status >= 500) faults.push(`${where}: a 5xx ${JSON.stringify(r.body).slice(0, 200)}`);
        // RFC 9110 §15.5.2: a 401 MUST carry a challenge — for this API, the Bearer scheme its document declares.
        if (r.status === 401 && !/^Bearer\b/.test(r.headers.get("www-authenticate") ?? ""))
          faults.push(`${where}: a 401 without WWW-Authenticate: Bearer`);
        // RFC 9110 §15.5.22: a 426 MUST send Upgrade naming the protocol (every one here is a WebSocket).
        if (r.status === 426 && r.headers.get("upgrade") !== "websocket")
          faults.push(`${where}: a 426 without Upgrade: websocket`);
        for (const f of documentFaults(doc, method, template, r as Answer)) faults.push(`${where}: ${f}`);
        if (v.what === "unknown ids" || v.what === "an empty product")
          faults.push(...bodyContract(doc, op, v, r, where));
      }
    }
    expect(faults).toEqual([]);
    expect(calls).toBeGreaterThan(600); // every operation of the document was really called
  });
});

describe("a problem's members", () => {
  it("a release of a factory that is not quarantined is 409 with status 409, not the factory's status", async () => {
    await createProduct(PRODUCT);
    const { factoryId } = await enroll(PRODUCT, "draining-one");
    const drain = { token: ADMIN, json: { status: "draining" } };
    expect((await rawApi("POST", `${P(PRODUCT)}/factories/${factoryId}/status`, drain)).status).toBe(200);
    const r = await rawApi<Record<string, unknown>>("POST", `${P(PRODUCT)}/factories/${factoryId}/release`, {
      token: ADMIN,
    });
    expect([r.status, r.body.status, r.body.code]).toEqual([409, 409, "conflict"]);
    expect(r.body.detail).toContain("is draining, not quarantined");
    expect(r.body.factoryStatus).toBe("draining"); // the factory's state, still machine-readable under its own name
    const doc = await servedDocument();
    expect(documentFaults(doc, "POST", "/api/v1/products/{productId}/factories/{factoryId}/release", r)).toEqual([]);
  });
});

describe("HEAD, OPTIONS and methods no route takes", () => {
  it("HEAD answers as GET does, with no body; OPTIONS and an unknown method are 405 with Allow", async () => {
    const doc = await servedDocument();
    await createProduct(PRODUCT);
    const faults: string[] = [];
    for (const template of Object.keys(doc.paths)) {
      const path = fill(template, PRODUCT, UNKNOWN);
      const allow = allowed(doc, path);
      if (doc.paths[template]!.get) {
        const get = await rawApi("GET", path, { token: ADMIN });
        const head = await rawApi("HEAD", path, { token: ADMIN });
        if (head.status !== get.status || head.body !== null)
          faults.push(`HEAD ${template}: ${head.status} ${JSON.stringify(head.body)}, GET ${get.status}`);
        for (const f of documentFaults(doc, "HEAD", template, head)) faults.push(`HEAD ${template}: ${f}`);
      }
      for (const method of ["OPTIONS", "PROPFIND", "HEAD"].filter((m) => !allow.includes(m))) {
        const r = await rawApi<{ code?: string } | null>(method, path, { token: ADMIN });
        const code = method === "HEAD" ? "method_not_allowed" : r.body?.code;
        const got = `${r.status} ${code} allow=${r.headers.get("allow")}`;
        if (got !== `405 method_not_allowed allow=${allow.join(", ")}`) faults.push(`${method} ${template}: ${got}`);
      }
    }
    expect(faults).toEqual([]);
  });

  it("a documented path with a trailing slash is 404 naming the path without it, never a 405 that allows the method", async () => {
    const doc = await servedDocument();
    await createProduct(PRODUCT);
    const faults: string[] = [];
    for (const [template, ops] of Object.entries(doc.paths)) {
      const path = fill(template, PRODUCT, UNKNOWN);
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        const r = await rawApi<{ code?: string; detail?: string }>(method, `${path}/`, { token: ADMIN });
        const named = r.body?.detail?.includes(`${path} (no trailing slash) takes`) ?? false;
        if (r.status !== 404 || r.body?.code !== "not_found" || !named || r.headers.get("allow") !== null)
          faults.push(`${method} ${template}/: ${r.status} ${r.headers.get("allow")} ${r.body?.detail}`);
      }
    }
    expect(faults).toEqual([]);
  });
});

/** The methods the document gives a concrete path, over every template it matches (HEAD with GET), sorted. */
function allowed(doc: ServedDocument, path: string): string[] {
  const methods = new Set<string>();
  for (const [template, ops] of Object.entries(doc.paths))
    if (pathMatcher(template.replace(/\{(\w+)\}/g, ":$1")).test(path))
      for (const m of Object.keys(ops)) methods.add(m.toUpperCase());
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
