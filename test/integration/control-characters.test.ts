// Control characters in a request's names and free text (shared/plain-text) are a 400 at the route, naming the
// field, and change nothing: a lesson with a NUL, a token named with an ESC sequence, a cancel note with a bare CR.
// Tab and newline in free text still pass. A job's title (core/manifest-schema, core/plain-text) on every path that
// makes a job — submit as JSON or Markdown, bulk, tracker ingest, POST …/children — is a 400 naming title, and no
// job is made.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P, submit } from "./client.ts";

describe("control characters at the routes", () => {
  it("POST …/lessons: a NUL in the text is a 400 naming text; tab and newline pass", async () => {
    const product = "cc-lessons";
    const bad = await api("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "use\u0000 the cache" } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("text") });
    const ok = await api("POST", `${P(product)}/lessons`, { token: ADMIN, json: { text: "first\n\tthen" } });
    expect(ok.status).toBe(201);
  });

  it("POST …/tokens: an ESC in the name is a 400 naming name, and no token is minted", async () => {
    const r = await api("POST", `${P("cc-tokens")}/tokens`, {
      token: ADMIN,
      json: { role: "viewer", name: "ann\u001b]52;c;aGk=\u0007" },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("name") });
    expect(r.body).not.toHaveProperty("token");
  });

  it("POST …/actions/cancel: a bare CR in the note is a 400, and the job is not cancelled", async () => {
    const product = "cc-note";
    const job = await submit(product, { title: "t" });
    const r = await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, {
      token: ADMIN,
      json: { note: "done\rnothing to see" },
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("note") });
    const now = await api<{ stage: string }>("GET", `${P(product)}/jobs/${job.id}`, { token: ADMIN });
    expect(now.body.stage).toBe("queued");
  });
});

describe("a job's title with a control character makes no job", () => {
  const TITLE = "fix \u001b]52;c;aGk=\u0007it"; // OSC 52: writes the clipboard of whoever runs `jobs` or `watch`
  const jobsOf = async (product: string) =>
    (await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs.length;

  it("POST …/jobs as JSON, as {markdown}, as text/markdown, and a batch item: 400 invalid_manifest naming title", async () => {
    const product = "cc-title";
    const refusals = await Promise.all([
      api("POST", `${P(product)}/jobs`, { token: ADMIN, json: { manifest: { title: TITLE } } }),
      api("POST", `${P(product)}/jobs`, { token: ADMIN, json: { markdown: `# ${TITLE}\n` } }),
      api("POST", `${P(product)}/jobs`, {
        token: ADMIN,
        text: `---\ntitle: "a\\u0000b"\n---\n`,
        headers: { "content-type": "text/markdown" },
      }),
    ]);
    for (const r of refusals) {
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: "invalid_manifest", detail: expect.stringContaining("title: one line") });
    }
    // A batch answers for each item: this one refused with the same 400, nothing queued.
    const batch = await api<{ items: unknown[]; rejected: unknown[] }>("POST", `${P(product)}/jobs:batch`, {
      token: ADMIN,
      json: { items: [{ manifest: { title: "a\rb" } }] },
    });
    expect(batch.body.items).toEqual([]);
    expect(batch.body.rejected).toEqual([
      expect.objectContaining({
        index: 0,
        status: 400,
        code: "invalid_manifest",
        detail: expect.stringContaining("title"),
      }),
    ]);
    expect(await jobsOf(product)).toBe(0);
  });

  it("POST …/tracker/ingest and POST …/jobs/{id}/children: 400 validation_failed naming title", async () => {
    const product = "cc-title-paths";
    const item = { source: "github", externalId: "org/repo#1", title: "line one\nline two" };
    const ingested = await api("POST", `${P(product)}/tracker/ingest`, { token: ADMIN, json: item });
    expect(ingested.status).toBe(400);
    expect(ingested.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("title") });
    const parent = await submit(product, { title: "parent" });
    const added = await api("POST", `${P(product)}/jobs/${parent.id}/children`, {
      token: ADMIN,
      json: { children: [{ title: TITLE }] },
    });
    expect(added.status).toBe(400);
    expect(added.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("title") });
    expect(await jobsOf(product)).toBe(1);
  });
});
