// Guarantee 6 — idempotent submission; manifests as JSON or markdown; deps gate a job.
import { describe, expect, it } from "vitest";
import { ADMIN, api, claim, enroll, getJob, P, submit } from "./client.ts";

describe("submission", () => {
  it("returns the same job for a repeated idempotencyKey, also when submitted concurrently", async () => {
    const product = "submit-idem";
    const manifest = { title: "once", idempotencyKey: "TRK-1" };
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        api<{ id: string }>("POST", `${P(product)}/jobs`, { token: ADMIN, json: { manifest } }),
      ),
    );
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(9);
    const list = await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toHaveLength(1);
  });

  it("honours the Idempotency-Key header", async () => {
    const product = "submit-idem-header";
    const send = () =>
      api<{ id: string }>("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        json: { manifest: { title: "h" } },
        headers: { "idempotency-key": "k-1" },
      });
    const a = await send();
    const b = await send();
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.id).toBe(a.body.id);
  });

  it("accepts a text/markdown manifest and keeps the body verbatim", async () => {
    const product = "submit-md";
    const text = "---\ntitle: From markdown\npriority: high\nrequires: [os:linux]\n---\n# Task\r\n\nDo it.  \n";
    const r = await api<{ title: string; priority: string; bodyMd: string; requires: string[] }>(
      "POST",
      `${P(product)}/jobs`,
      { token: ADMIN, text, headers: { "content-type": "text/markdown" } },
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ title: "From markdown", priority: "high", requires: ["os:linux"] });
    expect(r.body.bodyMd).toBe("# Task\r\n\nDo it.  \n");
  });

  it("reports a bad manifest as 400 invalid_manifest naming the problem", async () => {
    const product = "submit-bad";
    const r = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: "---\ntitle: x\npriority: urgent\n---\n",
      headers: { "content-type": "text/markdown" },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "invalid_manifest" });
    expect(JSON.stringify(r.body)).toContain("priority");
  });

  it("blocks a job until its dependency ships, then queues it", async () => {
    const product = "submit-deps";
    const f = await enroll(product, "f");
    const dep = await submit(product, { title: "first" });
    const child = await submit(product, { title: "second", deps: [dep.id] });
    expect(child.stage).toBe("blocked");
    const c = await claim(product, f.token);
    expect(c.body.job.id).toBe(dep.id);
    const path = `${P(product)}/jobs/${dep.id}`;
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "building" } });
    await api("PATCH", path, { token: f.token, json: { leaseEpoch: 1, stage: "testing" } });
    expect((await getJob(product, child.id)).stage).toBe("blocked");
    await api("POST", `${path}/actions/ship`, { token: ADMIN });
    expect((await getJob(product, child.id)).stage).toBe("queued");
  });

  it("refuses deps that do not exist in the product", async () => {
    const r = await api("POST", `${P("submit-missing-dep")}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "x", deps: ["job_nope"] } },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed" });
  });

  it("pages through jobs with a cursor, newest first, without repeats", async () => {
    const product = "submit-page";
    for (let i = 0; i < 7; i++) await submit(product, { title: `j${i}` });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const r: { body: { jobs: Array<{ title: string }>; nextCursor?: string } } = await api(
        "GET",
        `${P(product)}/jobs?limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        { token: ADMIN },
      );
      seen.push(...r.body.jobs.map((j) => j.title));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["j6", "j5", "j4", "j3", "j2", "j1", "j0"]);
  });
});
