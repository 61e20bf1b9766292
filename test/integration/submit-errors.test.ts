// A refused `POST …/jobs` says what the route expects. A JSON body that is neither form named nothing ("body:
// Invalid input", from a failed zod union): now it names both forms and the keys it got; a body that names one form
// gets that form's own issue. A body under a media type the route does not read got "expected application/json",
// though the route reads markdown too: the 415 now names all three. Other routes keep their JSON-only 415.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P } from "./client";

type Problem = { type: string; title: string; detail: string; code: string; status: number };

const post = (product: string, opts: { json?: unknown; text?: string; headers?: Record<string, string> }) =>
  api<Problem>("POST", `${P(product)}/jobs`, { token: ADMIN, ...opts });

const FORMS = "expected {manifest, bodyMd?} or {markdown}";

describe("POST …/jobs refusals name what is expected", () => {
  it("a JSON body in neither form is told both forms and the keys it had", async () => {
    const r = await post("submit-errors", { json: { title: "t", bodyMd: "b" } });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body).toMatchObject({ code: "validation_failed", type: expect.any(String), title: expect.any(String) });
    expect(r.body.detail).toBe(`body: ${FORMS}, got an object with keys title, bodyMd`);
    expect((await post("submit-errors", { json: [1] })).body.detail).toBe(`body: ${FORMS}, got an array`);
    expect((await post("submit-errors", { json: 42 })).body.detail).toBe(`body: ${FORMS}, got number`);
    expect((await post("submit-errors", { json: null })).body.detail).toBe(`body: ${FORMS}, got null`);
  });

  it("a body naming one form is told what is wrong with that form", async () => {
    const md = await post("submit-errors", { json: { markdown: 5 } });
    expect([md.status, md.body.detail]).toEqual([400, expect.stringMatching(/^body\.markdown: /)]);
    const manifest = await post("submit-errors", { json: { manifest: { title: "t" }, bodyMd: 5 } });
    expect([manifest.status, manifest.body.detail]).toEqual([400, expect.stringMatching(/^body\.bodyMd: /)]);
    const extra = await post("submit-errors", { json: { manifest: { title: "t" }, title: "t" } });
    expect(extra.body.detail).toMatch(/^body: Unrecognized key.*title/);
  });

  it("a body under a type the route does not read: the 415 names JSON, markdown and plain text", async () => {
    const r = await post("submit-errors", {
      text: "---\ntitle: t\n---\n",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(r.status).toBe(415);
    expect(r.body).toMatchObject({ code: "unsupported_media_type" });
    expect(r.body.detail).toBe(
      "expected application/json, text/markdown or text/plain, got application/x-www-form-urlencoded",
    );
  });

  it("a JSON-only route keeps its JSON-only 415", async () => {
    const r = await api<Problem>("POST", `${P("submit-errors")}/tokens`, {
      token: ADMIN,
      text: "role=viewer",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([r.status, r.body.detail]).toEqual([
      415,
      "expected application/json, got application/x-www-form-urlencoded",
    ]);
  });
});
