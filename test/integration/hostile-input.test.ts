// Hostile input is a 4xx problem+json at every entry point, never a 5xx, and changes nothing. Covered: bodies of the
// wrong shape on every documented operation, malformed percent-escapes in a manifest's repo URL, and text that is
// not well-formed Unicode (lone surrogates).

import { describe, expect, it } from "vitest";
import { ADMIN, api, enroll, P, submit, until } from "./client";
import { connectFactory } from "./sockets";

// Every operation the OpenAPI document lists that takes a body — the policy endpoints of issues 8, 9, 11 and 12
// included — answers hostile bodies (not JSON, the wrong JSON type, unknown keys, wrong field types, an oversized
// string) with a 4xx problem+json carrying `type`, `title`, `detail` and `code`, never a 5xx, and the product's
// queue version, settings and budget are unchanged afterwards. Walking the document, not a hand-kept list, means a
// new endpoint is covered the day it is added.

type Doc = { paths: Record<string, Record<string, { requestBody?: unknown }>> };

const HOSTILE: Array<{ what: string; text?: string; json?: unknown }> = [
  { what: "not JSON", text: "{nope" },
  { what: "an array", json: [1, 2, 3] },
  { what: "a number", json: 42 },
  { what: "an unknown key", json: { zzz_unknown: true } },
  { what: "wrong field types", json: { id: 7, text: 8, url: 9, period: 10, ceilingUsd: "x", effect: 11 } },
  { what: "an oversized string", json: { text: "x".repeat(300_000), reason: "x".repeat(300_000) } },
];

describe("hostile bodies on every operation with a body", () => {
  it("are refused with a 4xx problem+json and change nothing", async () => {
    const product = "hostile-bodies";
    const job = await submit(product, { title: "kept" });
    const f = await enroll(product, "f");
    const doc = (await api<Doc>("GET", "/api/v1/openapi.json")).body;
    const snapshot = async () => ({
      queue: (await api("GET", `${P(product)}/queue-state`, { token: ADMIN })).body,
      settings: (await api("GET", `${P(product)}/settings`, { token: ADMIN })).body,
      budget: (await api("GET", `${P(product)}/budget`, { token: ADMIN })).status,
    });
    const before = await snapshot();
    const ids: Record<string, string> = { productId: product, jobId: job.id, factoryId: f.factoryId };
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.startsWith("/api/v1/products/{productId}")) continue;
      const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(ids[name] ?? "x_unknown"));
      for (const [method, op] of Object.entries(ops)) {
        if (!op.requestBody) continue;
        for (const h of HOSTILE) {
          const r = await api<Record<string, unknown>>(method.toUpperCase(), path, {
            token: ADMIN,
            ...(h.text !== undefined ? { text: h.text, headers: { "content-type": "application/json" } } : {}),
            ...(h.json !== undefined ? { json: h.json } : {}),
          });
          const where = `${method.toUpperCase()} ${template} with ${h.what}`;
          expect(r.status, `${where}: ${JSON.stringify(r.body).slice(0, 200)}`).toBeGreaterThanOrEqual(400);
          expect(r.status, where).toBeLessThan(500);
          expect(r.headers.get("content-type"), where).toContain("application/problem+json");
          expect(Object.keys(r.body), where).toEqual(expect.arrayContaining(["type", "title", "detail", "code"]));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(await snapshot()).toEqual(before);
  });
});

// Every operation the OpenAPI document lists without a body (a POST or DELETE that reads none: ack, stop, redrive,
// rotate, revoke, deregister…) refuses one that carries anything — 400 validation_failed "takes no request body",
// naming its keys — and changes nothing; none, a blank one or an empty JSON object (`{}`) is accepted as before. Such a
// body was read by no one: `POST …/alerts/{id}/ack` with `{"note": …}` answered 200 and dropped the note, as routes
// without query parameters ignored an unknown one. Walked from the document, so a new operation is covered at once.

describe("a body on every operation that takes none", () => {
  it("is refused 400 naming its keys, and changes nothing; none, blank or {} is accepted", async () => {
    const product = "hostile-no-body";
    const job = await submit(product, { title: "kept" });
    const f = await enroll(product, "f");
    const doc = (await api<Doc>("GET", "/api/v1/openapi.json")).body;
    const snapshot = async () => ({
      queue: (await api("GET", `${P(product)}/queue-state`, { token: ADMIN })).body,
      factories: (await api("GET", `${P(product)}/factories`, { token: ADMIN })).body,
    });
    const before = await snapshot();
    const ids: Record<string, string> = { productId: product, jobId: job.id, factoryId: f.factoryId };
    const refused: string[] = [];
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.startsWith("/api/v1/products/{productId}")) continue;
      const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(ids[name] ?? "x_unknown"));
      for (const [method, op] of Object.entries(ops)) {
        if (method === "get" || op.requestBody) continue;
        const r = await api<Problem>(method.toUpperCase(), path, { token: ADMIN, json: { note: "dropped" } });
        const where = `${method.toUpperCase()} ${template}: ${r.status} ${r.body.detail}`;
        expect([r.status, r.body.code], where).toEqual([400, "validation_failed"]);
        expect(r.body.detail, where).toBe("this operation takes no request body; got keys note");
        refused.push(`${method} ${template}`);
      }
    }
    expect(refused.length).toBeGreaterThanOrEqual(14);
    expect(await snapshot()).toEqual(before);
    // Nothing, a blank body or {} is what such an operation takes: a ticket is issued for each.
    const ticket = `${P(product)}/jobs/${job.id}/events/ticket`;
    for (const opts of [{}, { text: " \n", headers: { "content-type": "application/json" } }, { json: {} }]) {
      expect((await api("POST", ticket, { token: ADMIN, ...opts })).status, JSON.stringify(opts)).toBe(201);
    }
    const other = await api<Problem>("POST", ticket, { token: ADMIN, text: "not json" });
    expect([other.status, other.body.detail]).toEqual([400, "this operation takes no request body; got a body"]);
  });
});

// A manifest's `repo` with a malformed percent-escape in its user name (`https://%ZZ@host/x`) is refused with a 400
// problem+json wherever a manifest enters — a single submit, a bulk item, a tracker ingest — and creates nothing.
// Found by a security review: core/repo-url decoded the user name with decodeURIComponent, which throws URIError
// on such an escape; zod does not catch a refinement's exception, so every one of these answered 500.

const HOSTILE_REPOS = [
  "https://%ZZ@example.com/app.git",
  "ssh://%E0%A4%A@example.com/app.git",
  "git://%@example.com/x",
];

type Problem = { code?: string; detail?: string; type?: string; title?: string };

async function queueVersion(product: string): Promise<unknown> {
  return (await api("GET", `${P(product)}/queue-state`, { token: ADMIN })).body;
}

describe("a repo URL whose user name holds a malformed percent-escape", () => {
  it("is a 400 on POST …/jobs (JSON and markdown), never a 500, and nothing is created", async () => {
    const product = "hostile-repo-single";
    await api("GET", `${P(product)}/queue-state`, { token: ADMIN });
    const before = await queueVersion(product);
    for (const repo of HOSTILE_REPOS) {
      const json = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t", repo } },
      });
      expect(json.status, `${repo}: ${JSON.stringify(json.body)}`).toBe(400);
      expect(json.headers.get("content-type")).toContain("application/problem+json");
      expect(json.body.code).toBe("invalid_manifest");
      const md = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        text: `---\ntitle: t\nrepo: "${repo}"\n---\nbody\n`,
        headers: { "content-type": "text/markdown" },
      });
      expect(md.status, `${repo} (markdown): ${JSON.stringify(md.body)}`).toBe(400);
    }
    expect(await queueVersion(product)).toEqual(before);
    const list = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toEqual([]);
  });

  it("refuses the bulk item alone (the others are accepted) and is a 400 on tracker ingest", async () => {
    const product = "hostile-repo-bulk";
    const bulk = await api<{ accepted: number; rejected: Array<{ index: number; status: number; code: string }> }>(
      "POST",
      `${P(product)}/jobs:batch`,
      {
        token: ADMIN,
        json: { items: [{ manifest: { title: "fine" } }, { manifest: { title: "bad", repo: HOSTILE_REPOS[0] } }] },
      },
    );
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(202);
    expect(bulk.body.accepted).toBe(1);
    expect(bulk.body.rejected).toEqual([expect.objectContaining({ index: 1, status: 400 })]);

    const ingest = await api<Problem>("POST", `${P(product)}/tracker/ingest`, {
      token: ADMIN,
      json: { source: "github", externalId: "1", title: "t", repo: HOSTILE_REPOS[0] },
    });
    expect(ingest.status, JSON.stringify(ingest.body)).toBe(400);
    expect(ingest.headers.get("content-type")).toContain("application/problem+json");
  });
});

// Text that is not well-formed Unicode is refused at the boundary, not stored changed. JSON can spell a lone
// surrogate ("\ud800"), but UTF-8 cannot hold one: D1 stored such a lesson as U+FFFD characters, three times its
// byte limit, and a job's D1 snapshot disagreed with its live title (found by a hostile-input reviewer). A body,
// a markdown manifest's front matter and a factory frame each answer 400 / `validation_failed` or
// `invalid_manifest`, and nothing is created; the same text with the pair intact (an emoji) is accepted.

const LONE = ["\ud800", "\udc00", "x\ud83dy", "\ude00x"];

describe("lone surrogates", () => {
  it("in a JSON body: 400 validation_failed, nothing created; a whole pair is fine", async () => {
    const product = "lone-json";
    for (const text of LONE) {
      const r = await api<Problem>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text } });
      expect(r.status, JSON.stringify(text)).toBe(400);
      expect(r.body.code).toBe("validation_failed");
      expect(r.body.detail).toContain("lone surrogate");
      // In a key too, and nested anywhere: the whole parsed body is walked.
      const job = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t", env: { [`K${text}`]: "v" } } },
      });
      expect(job.status).toBe(400);
      const title = await api<Problem>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: text } },
      });
      expect(title.body.code).toBe("validation_failed");
    }
    const jobs = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(jobs.body.jobs).toEqual([]);
    const ok = await api<{ text: string }>("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "ok 😀" } });
    expect(ok.status).toBe(201);
    // Lessons are read back from D1, after the outbox ships them in write order: the accepted one alone arrives.
    const listed = await until(
      async () =>
        (await api<{ items: Array<{ text: string }> }>("GET", `${P(product)}/lessons`, { token: ADMIN })).body,
      (p) => Array.isArray(p.items) && p.items.length > 0,
      20_000,
    );
    expect(listed.items.map((l) => l.text)).toEqual(["ok 😀"]);
    expect(ok.body.text).toBe("ok 😀");
  });

  it("escaped in a markdown manifest's front matter: 400 invalid_manifest", async () => {
    const product = "lone-markdown";
    const markdown = '---\ntitle: "lone \\ud800 escape"\n---\nbody\n';
    const r = await api<Problem>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: markdown,
      headers: { "content-type": "text/markdown" },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("invalid_manifest");
    expect(r.body.detail).toContain("lone surrogate");
    const pair = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: '---\ntitle: "pair \\ud83d\\ude00"\n---\nbody\n',
      headers: { "content-type": "text/markdown" },
    });
    expect(pair.status).toBe(201);
    expect((pair.body as { title: string }).title).toBe("pair 😀");
  });

  it("in a factory frame: an error frame, and the job is unchanged", async () => {
    const product = "lone-frame";
    const job = await submit(product, { title: "j" });
    const f = await enroll(product, "f");
    const { socket } = await connectFactory(product, f.token);
    const a = (await socket.next<{ assignments: Array<{ job: { id: string }; leaseEpoch: number }> }>("assign"))
      .assignments[0]!;
    expect(a.job.id).toBe(job.id);
    socket.send({ type: "progress", id: "p", jobId: job.id, leaseEpoch: a.leaseEpoch, note: "half \ud800" });
    const answer = await socket.answer<{ type: string; code?: string; message?: string }>("p");
    expect(answer).toMatchObject({ type: "error", code: "validation_failed" });
    expect(answer.message).toContain("lone surrogate");
    const after = await api<{ stage: string; progress?: unknown }>("GET", `${P(product)}/jobs/${job.id}`, {
      token: ADMIN,
    });
    expect(after.body.stage).toBe("assigned");
    expect(after.body.progress).toBeUndefined();
  });
});

// A report that ends a run says how it ended twice — by its kind (`complete`/`fail`, or the stage a PATCH moves to) and
// by its result's outcome — and the two must agree. Found by review: a `complete` whose result said `failure` moved its
// job on to testing as if it had passed, and a `fail` saying `success` left its job failed for good (never retried).
describe("a final report whose result contradicts it", () => {
  const failure = { outcome: "failure" as const, rc: 1, message: "tests failed" };
  const success = { outcome: "success" as const, rc: 0 };

  it("is refused whole, alone or in a batch, over the socket and over HTTP, and changes nothing", async () => {
    const product = "contradicting-report";
    const f = await enroll(product, "f", [], 2);
    const { socket } = await connectFactory(product, f.token, { seats: 2 });
    const jobs = [await submit(product, { title: "a" }), await submit(product, { title: "b" })];
    type Assign = { assignments: Array<{ job: { id: string }; leaseEpoch: number }> };
    const epochs = new Map<string, number>();
    while (epochs.size < 2)
      for (const a of (await socket.next<Assign>("assign")).assignments) epochs.set(a.job.id, a.leaseEpoch);
    const [a, b] = jobs.map((j) => ({ jobId: j.id, leaseEpoch: epochs.get(j.id)! })) as [
      { jobId: string; leaseEpoch: number },
      { jobId: string; leaseEpoch: number },
    ];
    const read = () =>
      Promise.all(jobs.map(async (j) => (await api("GET", `${P(product)}/jobs/${j.id}`, { token: ADMIN })).body));
    const before = await read();
    const frames = [
      { type: "complete", id: "c", ...a, result: failure },
      { type: "fail", id: "f", ...b, result: success },
      {
        type: "batch",
        id: "b",
        frames: [
          { type: "complete", ...b, result: success },
          { type: "complete", ...a, result: failure },
        ],
      },
    ];
    for (const frame of frames) {
      socket.send(frame);
      const answer = await socket.answer<{ type: string; code?: string; message?: string }>(frame.id);
      expect(answer, frame.id).toMatchObject({ type: "error", code: "validation_failed" });
      expect(answer.message, frame.id).toMatch(/outcome: /);
    }
    for (const [job, json] of [
      [a, { leaseEpoch: a.leaseEpoch, stage: "testing", result: failure }],
      [b, { leaseEpoch: b.leaseEpoch, stage: "failed", result: success }],
    ] as const) {
      const r = await api("PATCH", `${P(product)}/jobs/${job.jobId}`, { token: f.token, json });
      expect([r.status, (r.body as { code?: string }).code]).toEqual([400, "validation_failed"]);
    }
    expect(await read()).toEqual(before);
    // What agrees is applied as before.
    socket.send({ type: "fail", id: "ok", ...b, result: failure });
    expect(await socket.answer("ok")).toMatchObject({ type: "ack", result: { jobId: b.jobId } });
    socket.close();
  });
});
