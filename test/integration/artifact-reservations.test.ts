// Concurrent uploads to one job share its artifact limits from the moment they begin: each reserves its slot and its
// declared Content-Length before a byte streams, so with room for one more, of two uploads in flight the second is
// refused (409 too_many_artifacts / 413 payload_too_large) before any of its bytes reach R2 — not after streaming
// them, at its commit. A reservation is released when its upload commits or fails (a body cut off mid-stream), and
// the next upload gets the room. A feed whose intents predate reservations gains their columns, each old intent
// holding its name's slot (from its key) and no bytes.
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_ARTIFACTS_PER_JOB, MAX_JOB_ARTIFACT_BYTES } from "../../src/core/artifact-limits.ts";
import { applyUploadIntentsSchema, openIntents } from "../../src/durable-objects/feed/upload-intents.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, api, P, submit, until } from "./client.ts";

const worker = () => (exports as unknown as { default: Fetcher }).default;
const feed = (product: string, jobId: string) => env.JOB_FEED.getByName(feedName(product, jobId));

/** An operator's upload of `bytes` "x"s whose body the test sends: `finish` sends it all, `abort` cuts it off. */
function openUpload(product: string, jobId: string, name: string, bytes: number) {
  const body = new FixedLengthStream(bytes);
  const writer = body.writable.getWriter();
  const answer = worker()
    .fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "text/plain" },
      body: body.readable,
    })
    .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
  return {
    answer,
    finish: async () => {
      await writer.write(new TextEncoder().encode("x".repeat(bytes)));
      await writer.close();
      return answer;
    },
    abort: async () => {
      await writer.abort(new Error("client went away"));
      return answer;
    },
  };
}

/** A whole upload at once. */
const upload = (product: string, jobId: string, name: string, bytes: number) =>
  openUpload(product, jobId, name, bytes).finish();

/** The R2 keys under the job whose artifact name is `name` (the key's last segment). */
const r2Keys = async (product: string, jobId: string, name: string) =>
  (await env.ARTIFACTS.list({ prefix: `${product}/${jobId}/` })).objects
    .map((o) => o.key)
    .filter((k) => k.endsWith(`/${name}`));

const intents = (product: string, jobId: string) =>
  runInDurableObject(
    feed(product, jobId),
    (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM upload_intents").one().n,
  );

/** Waits until `n` uploads are in flight (their intents recorded, their bodies streaming). */
async function inFlight(product: string, jobId: string, n: number) {
  expect(
    await until(
      () => intents(product, jobId),
      (k) => k === n,
    ),
  ).toBe(n);
}

/** Pointers set by direct SQL (no bytes): `sizes[i]` bytes under `k<i>.bin`. */
async function seed(product: string, jobId: string, sizes: number[]) {
  await runInDurableObject(feed(product, jobId), (_i, state) => {
    for (const [i, size] of sizes.entries()) {
      state.storage.sql.exec(
        "INSERT INTO artifacts(name, r2_key, size, content_type, sha256, created_at, uploaded_by) VALUES (?, ?, ?, 'text/plain', ?, 0, 'operator')",
        `k${i}.bin`,
        `${product}/${jobId}/operator/seeded-${i}/k${i}.bin`,
        size,
        "0".repeat(64),
      );
    }
  });
}

describe("artifact limits count the uploads in flight", () => {
  it("with room for one more artifact, the second of two concurrent uploads is refused before streaming", async () => {
    const product = "art-reserve-count";
    const job = await submit(product, { title: "x" });
    expect((await upload(product, job.id, "first.txt", 1)).status).toBe(201); // the job's feed exists
    await seed(product, job.id, Array(MAX_ARTIFACTS_PER_JOB - 2).fill(1)); // 99 kept

    const a = openUpload(product, job.id, "a.txt", 3);
    await inFlight(product, job.id, 1);
    const b = await upload(product, job.id, "b.txt", 3);
    expect(b.status).toBe(409);
    expect(b.body).toMatchObject({ code: "too_many_artifacts", limit: MAX_ARTIFACTS_PER_JOB, uploading: 1 });
    expect(b.body.detail).toContain("99 kept, 1 being uploaded");
    expect(await r2Keys(product, job.id, "b.txt")).toEqual([]); // none of its bytes reached R2
    expect(await intents(product, job.id)).toBe(1);
    expect((await a.finish()).status).toBe(201);

    // A re-upload of a kept name still goes at the limit; a new name does not.
    expect((await upload(product, job.id, "a.txt", 2)).status).toBe(201);
    expect((await upload(product, job.id, "b.txt", 3)).status).toBe(409);

    // The slot of an upload that fails is released: the next one gets it.
    expect((await api("DELETE", `${P(product)}/jobs/${job.id}/artifacts/a.txt`, { token: ADMIN })).status).toBe(200);
    const c = openUpload(product, job.id, "c.txt", 3);
    await inFlight(product, job.id, 1);
    expect((await upload(product, job.id, "b.txt", 3)).status).toBe(409);
    expect((await c.abort()).status).toBe(400);
    expect(await intents(product, job.id)).toBe(0);
    expect(await r2Keys(product, job.id, "c.txt")).toEqual([]);
    expect((await upload(product, job.id, "b.txt", 3)).status).toBe(201);
    expect(await r2Keys(product, job.id, "b.txt")).toHaveLength(1);
  });

  it("with room for some more bytes, the upload whose declared size would pass them is refused before streaming", async () => {
    const product = "art-reserve-bytes";
    const job = await submit(product, { title: "x" });
    expect((await upload(product, job.id, "first.txt", 1)).status).toBe(201);
    await seed(product, job.id, [MAX_JOB_ARTIFACT_BYTES - 11]); // 10 bytes of room left

    const a = openUpload(product, job.id, "a.txt", 6);
    await inFlight(product, job.id, 1);
    const b = await upload(product, job.id, "b.txt", 6);
    expect(b.status).toBe(413);
    expect(b.body).toMatchObject({
      code: "payload_too_large",
      limit: MAX_JOB_ARTIFACT_BYTES,
      held: MAX_JOB_ARTIFACT_BYTES - 4,
    });
    expect(await r2Keys(product, job.id, "b.txt")).toEqual([]);
    expect((await upload(product, job.id, "small.txt", 4)).status).toBe(201); // what is left still fits

    // The bytes of an upload that fails are released: the next one gets them.
    expect((await a.abort()).status).toBe(400);
    expect(await intents(product, job.id)).toBe(0);
    expect(await r2Keys(product, job.id, "a.txt")).toEqual([]);
    expect((await upload(product, job.id, "b.txt", 6)).status).toBe(201);
    expect(await r2Keys(product, job.id, "b.txt")).toHaveLength(1);
  });

  it("an upload_intents table from before reservations gains name and size; its intents hold a slot, no bytes", async () => {
    const product = "art-reserve-legacy";
    const job = await submit(product, { title: "x" });
    expect((await upload(product, job.id, "first.txt", 1)).status).toBe(201);
    const held = await runInDurableObject(feed(product, job.id), (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE upload_intents");
      sql.exec("CREATE TABLE upload_intents (r2_key TEXT PRIMARY KEY, at INTEGER NOT NULL)");
      sql.exec("INSERT INTO upload_intents(r2_key, at) VALUES (?, 1)", `${product}/${job.id}/operator/u1/log.txt`);
      applyUploadIntentsSchema(sql);
      applyUploadIntentsSchema(sql); // idempotent
      return openIntents(sql);
    });
    expect(held).toEqual([{ name: "log.txt", size: 0 }]);
  });
});
