// Every operation of the OpenAPI document as the Worker serves it refuses a query parameter it does not take: a 400
// validation_failed problem+json naming the parameter, as the document says a 4XX looks — never the answer without
// it. Routes without parameters ignored any (`GET …/factories?limit=5` listed every factory, a misspelt
// `?stgae=queued` filtered nothing) while the routes with parameters refused them; each GET is called with an
// unknown parameter (table-driven), and every other operation too, which refuses before it reads its body or
// changes anything. What the dashboard, the CLI
// and the agent do send still passes: the lists' limit, cursor, fields, stage, state and source, metrics' format, and
// a live feed's after and ticket.
import { describe, expect, it } from "vitest";
import { ADMIN, api, createProduct, enroll, P, rawApi, submit } from "./client.ts";
import { type Answer, documentFaults, servedDocument } from "./openapi-document-check.ts";

const PRODUCT = "oa-unknown-query";
const UNKNOWN_PARAM = "gf_not_a_parameter";
const FACTORY_ROLES = new Set(["factory", "lease-holder", "uploader"]);

type Operation = { "x-role"?: string; requestBody?: { content?: Record<string, unknown> } };
type Called = { where: string; template: string; method: string; answer: Answer };

/** Calls every operation of the served document with `?gf_not_a_parameter=1`, its path filled with `ids`. */
async function callAll(ids: Record<string, string>, factoryToken: string, methods: (m: string) => boolean) {
  const doc = await servedDocument();
  const called: Called[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops as Record<string, Operation>)) {
      if (!methods(method)) continue;
      const path = template
        .replace("{productId}", PRODUCT)
        .replace(/\{(\w+)\}/g, (_m, n: string) => encodeURIComponent(ids[n] ?? "unknown-1"));
      const token = FACTORY_ROLES.has(op["x-role"] ?? "") ? factoryToken : ADMIN;
      // A JSON body the route could take or refuse: the query must be refused before it is read.
      const json = op.requestBody?.content && "application/json" in op.requestBody.content;
      const answer = await rawApi(method.toUpperCase(), `${path}?${UNKNOWN_PARAM}=1`, {
        token,
        ...(json ? { text: "{}", headers: { "content-type": "application/json" } } : {}),
      });
      called.push({ where: `${method.toUpperCase()} ${template}`, template, method, answer: answer as Answer });
    }
  }
  return { doc, called };
}

/** What is wrong with `c`'s answer to an unknown parameter: anything but a 400 problem naming the parameter. */
function refusalFaults(c: Called): string[] {
  const body = c.answer.body as { code?: string; detail?: string } | null;
  const got = `${c.where} → ${c.answer.status} ${JSON.stringify(body).slice(0, 200)}`;
  if (c.answer.status !== 400 || body?.code !== "validation_failed") return [`${got}: not a 400 validation_failed`];
  // The detail names the first issue; a query that also lacks a required parameter lists the unknown one second.
  if (!JSON.stringify(body).includes(UNKNOWN_PARAM)) return [`${got}: the problem does not name the parameter`];
  return [];
}

/** The product, a job that stays queued, a factory (the caller of factory operations) and another to name. */
let made: Promise<{ ids: Record<string, string>; factoryToken: string }> | undefined;
const setUp = () => {
  made ??= makeProduct();
  return made;
};

async function makeProduct(): Promise<{ ids: Record<string, string>; factoryToken: string }> {
  await createProduct(PRODUCT);
  const job = await submit(PRODUCT, { title: "stays queued", requires: ["gpu"] });
  const caller = await enroll(PRODUCT, "caller");
  const target = await enroll(PRODUCT, "target");
  const ids = { jobId: job.id, factoryId: target.factoryId, name: "log.txt", action: "cancel", key: "k" };
  return { ids, factoryToken: caller.token };
}

describe("an unknown query parameter", () => {
  it("is refused by every GET operation with a 400 problem naming it", async () => {
    const { ids, factoryToken } = await setUp();
    const { doc, called } = await callAll(ids, factoryToken, (m) => m === "get");
    const faults: string[] = [];
    for (const c of called) {
      faults.push(...refusalFaults(c));
      for (const f of documentFaults(doc, c.method, c.template, c.answer)) faults.push(`${c.where}: ${f}`);
    }
    expect(faults).toEqual([]);
    expect(called.length).toBeGreaterThanOrEqual(38); // every GET of the document was called
  });

  it("is refused by every other operation too, before it reads its body or changes anything", async () => {
    const { ids, factoryToken } = await setUp();
    const { doc, called } = await callAll(ids, factoryToken, (m) => m !== "get");
    const faults: string[] = [];
    for (const c of called) {
      faults.push(...refusalFaults(c));
      for (const f of documentFaults(doc, c.method, c.template, c.answer)) faults.push(`${c.where}: ${f}`);
    }
    expect(faults).toEqual([]);
    // Nothing was done: the job is still queued, both factories still active with their tokens.
    const job = await api<{ stage: string }>("GET", `${P(PRODUCT)}/jobs/${ids.jobId}`, { token: ADMIN });
    expect(job.body.stage).toBe("queued");
    const factories = await api<{ factories: Array<{ status: string }> }>("GET", `${P(PRODUCT)}/factories`, {
      token: ADMIN,
    });
    expect(factories.body.factories.map((f) => f.status)).toEqual(["active", "active"]);
    const claim = await rawApi("POST", `${P(PRODUCT)}/claim`, { token: factoryToken });
    expect(claim.status).toBe(204); // the caller's token still works (not rotated or revoked)
  });
});

describe("the query parameters the clients send", () => {
  it("still pass: the dashboard's list pages, metrics as JSON, and a live feed's after and ticket", async () => {
    const { ids } = await setUp();
    const base = P(PRODUCT);
    // As dashboard/{api,jobs,alerts,artifacts,lessons,serial,metrics}.js build them.
    const reads = [
      "/jobs?limit=1&fields=summary",
      "/jobs?limit=50&fields=summary&stage=queued",
      "/alerts?state=open&limit=200",
      `/jobs/${ids.jobId}/artifacts?limit=100`,
      "/lessons?limit=200&source=operator",
      "/serial?limit=200",
      "/metrics?format=json",
      `/jobs/${ids.jobId}/events?after=0&limit=200`,
    ];
    for (const read of reads) expect((await rawApi("GET", `${base}${read}`, { token: ADMIN })).status, read).toBe(200);
    // dashboard/feed.js: a ticket, then …/events/ws?after=<seq>&ticket=<ticket>. Without an Upgrade header the
    // parameters pass and the request is refused for that alone (426), leaving the ticket unused.
    const ticket = await api<{ ticket: string }>("POST", `${base}/jobs/${ids.jobId}/events/ticket`, { token: ADMIN });
    const feed = `${base}/jobs/${ids.jobId}/events/ws?after=0&ticket=${encodeURIComponent(ticket.body.ticket)}`;
    const ws = await rawApi<{ code?: string }>("GET", feed, {});
    expect([ws.status, ws.body?.code]).toEqual([426, "upgrade_required"]);
  });
});
