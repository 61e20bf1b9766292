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
