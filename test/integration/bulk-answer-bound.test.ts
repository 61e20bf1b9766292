// A bulk batch's answer is bounded by what it was sent: each refused item's detail is at most 1 KiB of UTF-8 (cut
// between characters and marked "…", its first problem kept), so 10,000 refused items cannot answer tens of MB. An
// item with 25 unknown keys (~200 bytes) was answered with ~4.5 KB of detail — the allowed keys named once per unknown
// one — so a 2 MB batch of such items came back as a 45 MB answer, built whole in the Worker's memory: the
// amplification core/bytes ISSUES_ECHOED bounds for one request, multiplied by the batch's 10,000 items.
import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { ADMIN, api, P } from "./client.ts";

type Reply = { rejected: Array<{ index: number; code: string; detail: string }> };

describe("a bulk batch of refused items", () => {
  it("answers each with at most 1 KiB of detail, its first problem kept", async () => {
    const manifest: Record<string, number> = {};
    for (let i = 0; i < 25; i++) manifest[`unknown${i}`] = 0;
    const items = Array.from({ length: 200 }, () => ({ manifest }));
    const r = await api<Reply>("POST", `${P("bulk-answer-bound")}/jobs:batch`, { token: ADMIN, json: { items } });
    expect(r.status).toBe(202);
    expect(r.body.rejected).toHaveLength(200);
    for (const item of r.body.rejected) {
      expect(item.code).toBe("invalid_manifest");
      expect(item.detail).toMatch(/^invalid manifest: title: required/);
      expect(item.detail.endsWith("…")).toBe(true);
      expect(utf8Bytes(item.detail)).toBeLessThanOrEqual(1024 + 3);
    }
    // Within its request's size, give or take the index, status and code each item adds.
    expect(utf8Bytes(JSON.stringify(r.body))).toBeLessThan(items.length * 1200);
  });
});
