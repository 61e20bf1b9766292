// A job's artifacts are bounded and listed in pages: at most 100 names (409 too_many_artifacts past them) of 256 MiB
// in all (413 payload_too_large), a re-upload of a name counting once; a refusal leaves no bytes, intent or pointer
// behind. The list takes a validated `limit` (default 50, at most 100) and
// `cursor`, answers `nextCursor` while names follow, and the shared client follows the pages.
import { env, runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_ARTIFACTS_PER_JOB, MAX_JOB_ARTIFACT_BYTES } from "../../src/core/artifact-limits.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { GigafactoryClient } from "../../src/shared/http-client.ts";
import { ADMIN, api, P, submit } from "./client.ts";

const worker = () => (exports as unknown as { default: Fetcher }).default;

/** An operator's upload of `bytes` (a size, sent as that many "x"), answered status and body. */
async function upload(product: string, jobId: string, name: string, bytes: number) {
  const res = await worker().fetch(`http://gf.test${P(product)}/jobs/${jobId}/artifacts?name=${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-length": String(bytes), "content-type": "text/plain" },
    body: "x".repeat(bytes),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const r2Count = async (product: string, jobId: string) =>
  (await env.ARTIFACTS.list({ prefix: `${product}/${jobId}/` })).objects.length;

/** Rows the job's feed holds besides its pointers: upload intents and doomed keys (none once a request is done). */
const pending = (product: string, jobId: string) =>
  runInDurableObject(env.JOB_FEED.getByName(feedName(product, jobId)), (_i, state) => ({
    intents: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM upload_intents").one().n,
    doomed: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM doomed_bytes").one().n,
  }));

type Page = { artifacts: Array<{ name: string }>; nextCursor?: string };
const list = (product: string, jobId: string, q = "") =>
  api<Page>("GET", `${P(product)}/jobs/${jobId}/artifacts${q}`, { token: ADMIN });

const names = (n: number) => Array.from({ length: n }, (_, i) => `a${String(i).padStart(3, "0")}.txt`);

describe("artifacts per job: count", () => {
  it("refuses a new name past 100 artifacts (409 too_many_artifacts naming the limit, nothing stored); a kept name re-uploads", async () => {
    const product = "art-count";
    const job = await submit(product, { title: "x" });
    for (const name of names(MAX_ARTIFACTS_PER_JOB)) expect((await upload(product, job.id, name, 1)).status).toBe(201);

    const over = await upload(product, job.id, "one-more.txt", 1);
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ code: "too_many_artifacts", limit: MAX_ARTIFACTS_PER_JOB });
    expect(over.body.detail).toContain(`(${MAX_ARTIFACTS_PER_JOB})`);
    expect(await r2Count(product, job.id)).toBe(MAX_ARTIFACTS_PER_JOB);
    expect(await pending(product, job.id)).toEqual({ intents: 0, doomed: 0 });

    // Replacing a name does not add one: it still goes, and the old bytes go with it.
    expect((await upload(product, job.id, "a000.txt", 2)).status).toBe(201);
    expect(await r2Count(product, job.id)).toBe(MAX_ARTIFACTS_PER_JOB);

    // Listed in pages: 10 at a time, each name once, in name order.
    const seen: string[] = [];
    let q = "?limit=10";
    for (let page = 0; ; page++) {
      const r = await list(product, job.id, q);
      expect(r.status).toBe(200);
      expect(r.body.artifacts.length).toBeLessThanOrEqual(10);
      seen.push(...r.body.artifacts.map((a) => a.name));
      if (!r.body.nextCursor) break;
      q = `?limit=10&cursor=${r.body.nextCursor}`;
      expect(page).toBeLessThan(10);
    }
    expect(seen).toEqual(names(MAX_ARTIFACTS_PER_JOB));
    const first = await list(product, job.id);
    expect(first.body.artifacts).toHaveLength(50);
    expect(first.body.nextCursor).toBe("a049.txt");
    expect((await list(product, job.id, "?limit=100")).body.nextCursor).toBeUndefined();

    // The shared client (CLI) follows the pages.
    const client = new GigafactoryClient({
      url: "http://gf.test",
      token: ADMIN,
      product,
      fetch: (input, init) => worker().fetch(input as string, init),
    });
    expect((await client.listArtifacts(job.id)).map((a) => a.name)).toEqual(names(MAX_ARTIFACTS_PER_JOB));
  });

  it("validates the list's query like every other: a bad limit, cursor or an unknown field is a 400", async () => {
    const product = "art-list-query";
    const job = await submit(product, { title: "x" });
    for (const q of ["?limit=0", "?limit=101", "?limit=1e1", "?cursor=..%2Fx", "?cursor=", "?page=2"]) {
      const r = await list(product, job.id, q);
      expect(r.status, q).toBe(400);
      expect(r.body, q).toMatchObject({ code: "validation_failed" });
    }
  });
});

describe("artifacts per job: bytes", () => {
  it("refuses an upload past 256 MiB in all (413 naming the limit, nothing stored); a re-upload counts its name once", async () => {
    const product = "art-bytes";
    const job = await submit(product, { title: "x" });
    expect((await upload(product, job.id, "seed.txt", 1)).status).toBe(201);
    // Ten pointers of 25 MiB each (250 MiB) set by direct SQL: streaming that much would only slow the test down.
    const big = 25 * 1024 * 1024;
    await runInDurableObject(env.JOB_FEED.getByName(feedName(product, job.id)), (_i, state) => {
      for (let i = 0; i < 10; i++)
        state.storage.sql.exec(
          "INSERT INTO artifacts(name, r2_key, size, content_type, sha256, created_at, uploaded_by) VALUES (?, ?, ?, 'text/plain', ?, 0, 'operator')",
          `big${i}.bin`,
          `${product}/${job.id}/operator/seeded-${i}/big${i}.bin`,
          big,
          "0".repeat(64),
        );
    });
    const kept = 10 * big + 1;
    const over = MAX_JOB_ARTIFACT_BYTES - kept + 1;
    const refused = await upload(product, job.id, "report.txt", over);
    expect(refused.status).toBe(413);
    expect(refused.body).toMatchObject({ code: "payload_too_large", limit: MAX_JOB_ARTIFACT_BYTES, kept, size: over });
    expect(refused.body.detail).toContain(`per-job limit of ${MAX_JOB_ARTIFACT_BYTES} bytes`);
    expect(await r2Count(product, job.id)).toBe(1);
    expect(await pending(product, job.id)).toEqual({ intents: 0, doomed: 0 });
    // The same bytes under a kept name replace its 25 MiB: 225 MiB + 1 + `over` fits (counted twice, it would not).
    expect((await upload(product, job.id, "big0.bin", over)).status).toBe(201);
    expect((await list(product, job.id, "?limit=100")).body.artifacts).toHaveLength(11);
  });
});
