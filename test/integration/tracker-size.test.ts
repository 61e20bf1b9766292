// A tracker item (`POST …/tracker/ingest`) is bounded by what one dispatch-queue message carries, in UTF-8 bytes of
// its JSON: a body the schema allows is never cut first by the 64 KiB JSON request cap, multi-byte text is measured
// in bytes (not characters), and an item past the message is 413 payload_too_large naming its size and the limit,
// with nothing queued. Its fields have the manifest's own bounds, in the schema and in the OpenAPI document (a repo
// of 2,000 bytes was documented, and refused by the manifest at 500); the body's description names the bound that
// decides (the queue message, in UTF-8 bytes), not only its schema maxLength of 262,144.
import { describe, expect, it } from "vitest";
import { jsonBytes } from "../../src/core/bytes.ts";
import { MAX_REPO_BYTES } from "../../src/core/repo-url.ts";
import { openApiDocument } from "../../src/worker/openapi.ts";
import { MAX_MESSAGE_BYTES } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, P, until } from "./client.ts";

const jobs = async (product: string) =>
  (await api<{ jobs: Array<{ title: string }> }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs;

const tracker = (product: string, body: string, externalId: string) =>
  api<{ status: string; code?: string; detail?: string }>("POST", `${P(product)}/tracker/ingest`, {
    token: ADMIN,
    json: { source: "github", externalId, title: "An issue", body },
  });

describe("a tracker item's size", () => {
  it("is bounded by the queue message in UTF-8 bytes, not by a 64 KiB request cap", async () => {
    const product = "tracker-bytes";
    // 80 KB of ASCII: within the schema's body bound and within one queue message, so it must be taken.
    const ascii = await tracker(product, "a".repeat(80_000), "big#1");
    expect([ascii.status, ascii.body.status]).toEqual([202, "queued"]);
    // 30,000 × 漢: 30,000 characters but 90,000 bytes — still within one message.
    const wide = await tracker(product, "漢".repeat(30_000), "wide#1");
    expect([wide.status, wide.body.status]).toEqual([202, "queued"]);
    // Both items become jobs: a 202 only says the message was queued (`until` throws if they never do).
    const made = await until(
      () => jobs(product),
      (j) => j.length === 2,
    );
    expect(made.map((j) => j.title)).toEqual(["An issue", "An issue"]);
  });

  it("a body past the message in UTF-8 bytes is 413 payload_too_large naming bytes, and nothing is queued", async () => {
    const product = "tracker-over";
    // 35,000 × 漢 is 35,000 characters (far under any character bound) and 105,000 bytes: over a 100 KiB message.
    const body = "漢".repeat(35_000);
    expect(jsonBytes(body)).toBeGreaterThan(MAX_MESSAGE_BYTES);
    const r = await tracker(product, body, "over#1");
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({
      code: "payload_too_large",
      detail: expect.stringMatching(/^the tracker item is \d+ bytes of JSON, over the limit of \d+$/),
    });
    expect(await jobs(product)).toEqual([]);
  });
});

describe("a tracker item's fields", () => {
  it("have the manifest's bounds: the document says so, and a repo past them is refused by the schema", async () => {
    type Body = { properties: Record<string, { maxLength?: number; pattern?: string; description?: string }> };
    const doc = openApiDocument() as {
      paths: Record<string, { post?: { requestBody: { content: Record<string, { schema: Body }> } } }>;
    };
    const body = doc.paths["/api/v1/products/{productId}/tracker/ingest"]?.post?.requestBody.content["application/json"]
      ?.schema as Body;
    expect(body.properties.repo?.maxLength).toBe(MAX_REPO_BYTES);
    // The body's maxLength is not what decides: its description names the queue-message bound, in UTF-8 bytes.
    expect(body.properties.body?.description).toContain(`${MAX_MESSAGE_BYTES} bytes less the message's envelope`);
    expect(body.properties.body?.description).toContain("UTF-8 bytes");
    expect(body.properties.title?.maxLength).toBe(800);
    expect(body.properties.engine?.pattern).toBe("^[a-z0-9][a-z0-9._-]{0,31}$");
    const repo = `https://example.com/${"r".repeat(MAX_REPO_BYTES)}.git`;
    const r = await api<{ code: string; detail: string }>("POST", `${P("tracker-fields")}/tracker/ingest`, {
      token: ADMIN,
      json: { source: "github", externalId: "f#1", title: "t", repo },
    });
    expect([r.status, r.body.code]).toEqual([400, "validation_failed"]);
    expect(r.body.detail).toContain("repo");
  });
});
