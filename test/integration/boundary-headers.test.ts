// What the Worker's boundary makes of a request header's shape, on every route that reads it alike:
// - a bearer token is bounded in bytes of UTF-8 (worker/bearer-token), on the live feeds as on the API: the feed's
//   own copy of the check counted 512 characters, so a 600-byte header was hashed and looked up there
//   ("not recognised") where the API refused it as no token ("send Authorization: Bearer <token>");
// - a single-valued header sent twice reaches the Worker joined ("a, b"): an Idempotency-Key or a Content-Type so
//   joined is refused (400 validation_failed naming the header), never read as one odd key or type.
import { createExecutionContext, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/worker/index.ts";
import { ADMIN, api, P, rawApi, submit } from "./client.ts";

const OVER_IN_BYTES = "é".repeat(300); // 300 characters, 600 bytes of UTF-8: within 512 characters, over 512 bytes

describe("a bearer token's limit is in bytes, on the feeds as on the API", () => {
  it("a 600-byte, 300-character token is refused as no token by the API and by both feeds alike", async () => {
    const job = await submit("bh-bearer", { title: "t" });
    const onApi = await rawApi("GET", `${P("bh-bearer")}/jobs`, { token: OVER_IN_BYTES });
    expect(onApi.status).toBe(401);
    expect(onApi.body).toMatchObject({ code: "unauthorized", detail: "send Authorization: Bearer <token>" });
    for (const kind of ["stream", "ws"]) {
      const onFeed = await rawApi("GET", `${P("bh-bearer")}/jobs/${job.id}/events/${kind}`, { token: OVER_IN_BYTES });
      expect(onFeed.status).toBe(401);
      expect(onFeed.body).toEqual(onApi.body);
    }
  });

  it("a token just within 512 bytes is read and looked up (not recognised), on the feed too", async () => {
    const job = await submit("bh-bearer2", { title: "t" });
    const within = "é".repeat(256); // 512 bytes
    const r = await rawApi("GET", `${P("bh-bearer2")}/jobs/${job.id}/events/stream`, { token: within });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ code: "unauthorized", detail: expect.stringContaining("not recognised") });
  });
});

/** One call through the Worker's handler with `name` sent twice (`Headers.append`), as two header lines arrive. */
async function sentTwice(path: string, name: string, values: string[], body: string, type = "application/json") {
  const headers = new Headers({ authorization: `Bearer ${ADMIN}` });
  if (name.toLowerCase() !== "content-type") headers.set("content-type", type);
  for (const v of values) headers.append(name, v);
  const res = await worker.fetch(
    new Request(`http://gf.test${path}`, { method: "POST", headers, body }) as Parameters<typeof worker.fetch>[0],
    env,
    createExecutionContext(),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const jobCount = async (product: string) =>
  (await api<{ jobs: unknown[] }>("GET", `${P(product)}/jobs`, { token: ADMIN })).body.jobs.length;

describe("a single-valued header sent twice is refused, not read as one value", () => {
  it("POST …/jobs with two Idempotency-Keys: 400 naming the header, and no job under either key or the pair", async () => {
    const product = "bh-key-twice";
    await submit(product, { title: "first" });
    const json = JSON.stringify({ manifest: { title: "t" } });
    const r = await sentTwice(`${P(product)}/jobs`, "Idempotency-Key", ["key-a", "key-b"], json);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("Idempotency-Key") });
    expect(await jobCount(product)).toBe(1);
    // One key is taken, and answers again.
    const once = await api("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      json: { manifest: { title: "t" } },
      headers: { "idempotency-key": "key-a" },
    });
    expect(once.status).toBe(201);
  });

  it("jobs:batch and …/children with two Idempotency-Keys: 400, nothing made", async () => {
    const product = "bh-key-twice-derived";
    const parent = await submit(product, { title: "parent", kind: "composite" });
    const batch = JSON.stringify({ items: [{ manifest: { title: "b" } }] });
    const b = await sentTwice(`${P(product)}/jobs:batch`, "Idempotency-Key", ["k1", "k2"], batch);
    expect(b.status).toBe(400);
    expect(b.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("Idempotency-Key") });
    const children = JSON.stringify({ children: [{ title: "c" }] });
    const c = await sentTwice(`${P(product)}/jobs/${parent.id}/children`, "Idempotency-Key", ["k1", "k2"], children);
    expect(c.status).toBe(400);
    expect(c.body).toMatchObject({ code: "validation_failed", detail: expect.stringContaining("Idempotency-Key") });
    expect(await jobCount(product)).toBe(1);
  });

  it("POST …/jobs with two Content-Types, alike or not: 400 naming Content-Type, no job", async () => {
    const product = "bh-type-twice";
    await submit(product, { title: "first" });
    const json = JSON.stringify({ manifest: { title: "t" } });
    for (const types of [
      ["application/json", "application/json"],
      ["text/markdown", "application/json"],
    ]) {
      const r = await sentTwice(`${P(product)}/jobs`, "Content-Type", types, json);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        code: "validation_failed",
        detail: expect.stringContaining("Content-Type holds several values"),
      });
    }
    // Another JSON route (readJson) alike.
    const token = await sentTwice(
      `${P(product)}/tokens`,
      "Content-Type",
      ["application/json", "application/json"],
      JSON.stringify({ role: "viewer", name: "v" }),
    );
    expect(token.status).toBe(400);
    expect(await jobCount(product)).toBe(1);
  });
});
