// An idempotency key of blanks only (`"   "`, NBSP, any Unicode white space) is refused 400 validation_failed naming
// the field, and nothing is made: as the manifest's `idempotencyKey` (JSON and markdown alike); a batch item's is
// rejected in the 202.
// A key with blanks around something (`" k "`) is a key, kept byte for byte. It made a job under a key nobody can see.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P } from "./client.ts";

const jobCount = async (product: string) =>
  (await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs.length;

describe("an idempotency key of blanks only", () => {
  it("is refused in a manifest, JSON or markdown, and no job is made", async () => {
    const product = "ikb-jobs";
    for (const key of ["   ", "\u00a0", "\u3000 "]) {
      const json = await api("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "t", idempotencyKey: key } },
      });
      expect({ key, status: json.status }).toEqual({ key, status: 400 });
      expect(json.body).toMatchObject({ code: expect.stringMatching(/^(validation_failed|invalid_manifest)$/) });
      expect(JSON.stringify(json.body)).toMatch(/idempotencyKey/);
    }
    const md = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: '---\ntitle: t\nidempotencyKey: "   "\n---\nbody\n',
      headers: { "content-type": "text/markdown" },
    });
    expect(md.status).toBe(400);
    expect(await jobCount(product)).toBe(0);
    const kept = await api<{ job: { manifest: { idempotencyKey: string } } }>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "t", idempotencyKey: " k " } },
    });
    expect(kept.status).toBe(201);
    expect(await jobCount(product)).toBe(1);
  });

  it("is refused as a batch item's key, and that item makes no job", async () => {
    const product = "ikb-batch";
    const r = await api<{ rejected: Array<{ index: number }> }>("POST", `${P(product)}/jobs:batch`, {
      token: ADMIN,
      json: { items: [{ manifest: { title: "a", idempotencyKey: "  " } }] },
    });
    expect(r.status).toBe(202);
    expect(r.body.rejected.map((x) => x.index)).toEqual([0]);
    expect(await jobCount(product)).toBe(0);
  });
});
