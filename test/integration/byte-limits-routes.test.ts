// Byte limits through the routes (test/unit/byte-limits-at-boundary.test.ts proves each schema): a manifest `repo`
// and a webhook URL within their character counts but over their UTF-8 byte limits (500, 2048) are a 400
// problem+json naming the field, and nothing is created.
import { describe, expect, it } from "vitest";
import { ADMIN, api, P } from "./client";

const CJK = "漢"; // 3 bytes of UTF-8, 1 UTF-16 unit

describe("byte limits at the routes", () => {
  it("a repo of 181 characters and 503 bytes is refused at submit", async () => {
    const repo = `https://example.com/${CJK.repeat(161)}`;
    expect(repo.length).toBeLessThanOrEqual(500);
    const r = await api<{ code: string; detail: string }>("POST", `${P("bytes-repo")}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "over", repo } },
    });
    expect(r.status).toBe(400);
    expect(r.headers.get("content-type")).toContain("application/problem+json");
    expect(r.body.code).toBe("invalid_manifest");
    expect(r.body.detail).toContain("repo");
    const list = await api<{ jobs: unknown[] }>("GET", `${P("bytes-repo")}/jobs`, { token: ADMIN });
    expect(list.body.jobs).toEqual([]);
  });

  it("a webhook URL of 697 characters and 2051 bytes is refused", async () => {
    const url = `https://example.com/${CJK.repeat(677)}`;
    expect(url.length).toBeLessThanOrEqual(2048);
    const r = await api<{ code: string; detail: string }>("PUT", `${P("bytes-webhook")}/webhook`, {
      token: ADMIN,
      json: { url, secret: "s".repeat(32) },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe("validation_failed");
    expect(r.body.detail).toContain("url");
    const view = await api("GET", `${P("bytes-webhook")}/webhook`, { token: ADMIN });
    expect(view.status).toBe(404);
  });
});
