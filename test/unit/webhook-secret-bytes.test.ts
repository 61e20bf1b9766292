// A webhook secret's lower bound is 16 bytes of UTF-8, as every limit (core/bytes), not 16 UTF-16 units: six CJK
// characters (18 bytes) were refused as "at least 16 characters" while 15 ASCII ones were rightly refused; the
// refusal and the OpenAPI document's field say the bound in bytes.
import { describe, expect, it } from "vitest";
import { WEBHOOK_SECRET_MIN_BYTES, WebhookBodySchema } from "../../src/shared/api-alerts.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";

const url = "https://hooks.example.com/gf";
const issues = (secret: string) => WebhookBodySchema.safeParse({ url, secret }).error?.issues ?? [];

describe("a webhook secret's lower bound is in bytes of UTF-8", () => {
  it("16 bytes pass, whatever their script; 15 are refused, the message saying bytes", () => {
    expect(WEBHOOK_SECRET_MIN_BYTES).toBe(16);

    for (const secret of ["s".repeat(16), "漢字漢字漢字", "é".repeat(8), "😀😀😀😀"])
      expect(issues(secret)).toEqual([]);
    for (const secret of ["s".repeat(15), "漢字漢字é", ""]) {
      expect(issues(secret)).toEqual([
        expect.objectContaining({ path: ["secret"], message: "at least 16 and at most 2048 bytes of UTF-8" }),
      ]);
    }
  });

  it("the OpenAPI document's secret field states both bounds in bytes", () => {
    const doc = openApiDocument() as {
      paths: Record<string, { put?: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
    };
    const [op] = Object.entries(doc.paths).filter(([p, ops]) => p.endsWith("/webhook") && ops.put);
    const body = op![1].put!.requestBody.content["application/json"]!.schema as {
      properties: { secret: { description?: string; minLength?: number } };
    };
    expect(body.properties.secret.description).toBe("at least 16 and at most 2048 bytes of UTF-8");
    expect(body.properties.secret.minLength).toBeUndefined(); // a count of UTF-16 units would say characters again
  });
});
