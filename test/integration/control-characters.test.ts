// Control characters in a request's names and free text (shared/plain-text) are a 400 at the route, naming the
// field, and change nothing: a lesson with a NUL, a token named with an ESC sequence, a cancel note with a bare CR.
// Tab and newline in free text still pass.
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
