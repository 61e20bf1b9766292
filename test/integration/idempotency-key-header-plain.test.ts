// The Idempotency-Key header takes the JSON idempotency key's control-character rule (core/plain-text plainName),
// on every route that reads it: a tab, DEL or C1 inside the header (HTTP keeps a tab and obs-text bytes within a
// value) is a 400 validation_failed naming the header, and nothing is made — no job under the key, no batch item
// keyed `batch:<key>:<i>` (bulk-items makes that key after the manifest's own rule ran), no children. A key of
// printable non-ASCII characters, which the JSON key takes, is still taken.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, submit } from "./client.ts";

const BAD_KEYS = { tab: "key\tone", del: "key\u007fone", c1: "key\u0085one", csi: "key\u009b31mone" };

const jobCount = async (product: string) =>
  (await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs.length;

const refusedNamingHeader = {
  code: "validation_failed",
  type: expect.any(String),
  title: expect.any(String),
  detail: expect.stringMatching(/^Idempotency-Key: no control characters/),
};

describe("an Idempotency-Key header holding a control character is refused on every route", () => {
  it("POST …/jobs (JSON and markdown): 400 naming the header, no job", async () => {
    const product = "ikp-jobs";
    for (const [what, key] of Object.entries(BAD_KEYS)) {
      const json = await api("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t" } },
        headers: { "idempotency-key": key },
      });
      expect({ what, status: json.status }).toEqual({ what, status: 400 });
      expect(json.body).toMatchObject(refusedNamingHeader);
      const md = await api("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        text: "---\ntitle: t\n---\nbody\n",
        headers: { "idempotency-key": key, "content-type": "text/markdown" },
      });
      expect({ what, status: md.status }).toEqual({ what, status: 400 });
    }
    expect(await jobCount(product)).toBe(0);
  });

  it("POST …/jobs:batch: 400 naming the header, no item queued under batch:<key>:<i>", async () => {
    const product = "ikp-batch";
    await submit(product, { title: "first" });
    for (const [what, key] of Object.entries(BAD_KEYS)) {
      const r = await api("POST", `${P(product)}/jobs:batch`, {
        token: ADMIN,
        json: { items: [{ manifest: { title: "a" } }, { manifest: { title: "b" } }] },
        headers: { "idempotency-key": key },
      });
      expect({ what, status: r.status }).toEqual({ what, status: 400 });
      expect(r.body).toMatchObject(refusedNamingHeader);
    }
    expect(await jobCount(product)).toBe(1);
  });

  it("POST …/jobs/{id}/children: 400 naming the header, the job stays childless", async () => {
    const product = "ikp-children";
    const parent = await submit(product, { title: "parent", kind: "composite" });
    for (const [what, key] of Object.entries(BAD_KEYS)) {
      const r = await api("POST", `${P(product)}/jobs/${parent.id}/children`, {
        token: ADMIN,
        json: { children: [{ title: "c" }] },
        headers: { "idempotency-key": key },
      });
      expect({ what, status: r.status }).toEqual({ what, status: 400 });
      expect(r.body).toMatchObject(refusedNamingHeader);
    }
    expect(await jobCount(product)).toBe(1);
  });
});

describe("a plain key, ASCII or not, is still taken", () => {
  it("POST …/jobs, jobs:batch and …/children take a key with a space and a non-ASCII letter", async () => {
    const product = "ikp-plain";
    const key = "clé une";
    const one = await api<{ id: string; idempotencyKey: string }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "t" } },
      headers: { "idempotency-key": key },
    });
    expect(one.status).toBe(201);
    const batch = await api<{ items: Array<{ idempotencyKey: string }> }>("POST", `${P(product)}/jobs:batch`, {
      token: ADMIN,
      json: { items: [{ manifest: { title: "a" } }] },
      headers: { "idempotency-key": key },
    });
    expect(batch.status).toBe(202);
    expect(batch.body.items[0]?.idempotencyKey).toMatch(new RegExp(`^batch:${key}:[0-9a-f]{16}\\.0$`));
    const parent = await submit(product, { title: "parent", kind: "composite" });
    const kids = await api("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: "c" }] },
      headers: { "idempotency-key": key },
    });
    expect(kids.status).toBe(201);
  });
});
