// Idempotency never drops data: a key (Idempotency-Key header, manifest idempotencyKey or tracker id) is stored with
// a SHA-256 of the normalised request; the same request again returns the first job, a different one is refused with
// 409 conflict naming the key (or, when it arrives through the queue, dead-lettered with that code) and changes nothing.
import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { findKey, KEY_HASHES_FILLED } from "../../src/durable-objects/coordinator/jobs/idempotency.ts";
import worker from "../../src/worker/index.ts";
import type { DispatchMessage } from "../../src/worker/queues/messages.ts";
import { ADMIN, api, P, until } from "./client.ts";
import { countingSql } from "./counting-sql.ts";
import { restartCoordinator } from "./state.ts";

interface Problem {
  code: string;
  detail: string;
  idempotencyKey?: string;
  jobId?: string;
}
interface JobBody {
  id: string;
  title: string;
  bodyMd: string;
  priority: string;
}

const post = (product: string, json: unknown, key?: string) =>
  api<JobBody & Problem>("POST", `${P(product)}/jobs`, {
    token: ADMIN,
    json,
    headers: key ? { "idempotency-key": key } : {},
  });
const listJobs = async (product: string) =>
  (await api<{ jobs: JobBody[] }>("GET", `${P(product)}/jobs?fields=full`, { token: ADMIN })).body.jobs;

describe("POST /jobs with a repeated key", () => {
  it("refuses the same Idempotency-Key with a different body: 409 conflict naming the key, first job unchanged", async () => {
    const product = "idem-changed";
    const first = await post(product, { manifest: { title: "deploy v1" }, bodyMd: "ship v1" }, "release-7");
    expect(first.status).toBe(201);
    const second = await post(product, { manifest: { title: "deploy v1" }, bodyMd: "ship v2" }, "release-7");
    expect(second.status).toBe(409);
    expect(second.body.code).toBe("conflict");
    expect(second.body.detail).toContain('"release-7"');
    expect(second.body.idempotencyKey).toBe("release-7");
    expect(second.body.jobId).toBe(first.body.id);
    const jobs = await listJobs(product);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.bodyMd).toBe("ship v1");
  });

  it("takes a header key as long as a manifest key (800 bytes) and refuses a longer one, changing nothing", async () => {
    const product = "idem-header-limit";
    const long = "k".repeat(800);
    const a = await post(product, { manifest: { title: "long key" } }, long);
    expect(a.status).toBe(201);
    const same = await post(product, { manifest: { title: "long key", idempotencyKey: long } });
    expect(same.status).toBe(200); // the header's key and the manifest's are one key
    expect(same.body.id).toBe(a.body.id);
    const over = await post(product, { manifest: { title: "longer key" } }, `${long}k`);
    expect(over.status).toBe(400);
    expect(over.body.code).toBe("validation_failed");
    expect(await listJobs(product)).toHaveLength(1);
  });

  it("refuses a manifest idempotencyKey reused with a different manifest (another field, same body)", async () => {
    const product = "idem-changed-manifest";
    const a = await post(product, { manifest: { title: "t", idempotencyKey: "TRK-9" } });
    expect(a.status).toBe(201);
    const b = await post(product, { manifest: { title: "t", idempotencyKey: "TRK-9", priority: "critical" } });
    expect(b.status).toBe(409);
    expect(b.body.detail).toContain('"TRK-9"');
    expect((await listJobs(product)).map((j) => j.priority)).toEqual(["medium"]);
  });

  it("replays the first job for the same request, however it is spelled (markdown or JSON, defaults or not)", async () => {
    const product = "idem-same";
    const a = await post(product, { manifest: { title: "same" }, bodyMd: "body\n" }, "k-same");
    const b = await post(
      product,
      { manifest: { title: "same", priority: "medium", deps: [] }, bodyMd: "body\n" },
      "k-same",
    );
    const c = await api<JobBody>("POST", `${P(product)}/jobs`, {
      token: ADMIN,
      text: "---\ntitle: same\n---\nbody\n",
      headers: { "content-type": "text/markdown", "idempotency-key": "k-same" },
    });
    expect([a.status, b.status, c.status]).toEqual([201, 200, 200]);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(1);
  });

  it("makes one job of 20 concurrent identical submits, and refuses concurrent changed ones", async () => {
    const product = "idem-concurrent";
    const same = Array.from({ length: 20 }, () => post(product, { manifest: { title: "once" }, bodyMd: "x" }, "c-1"));
    const changed = Array.from({ length: 5 }, (_, i) =>
      post(product, { manifest: { title: "once" }, bodyMd: `changed ${i}` }, "c-1"),
    );
    const replies = await Promise.all([...same, ...changed]);
    const jobs = await listJobs(product);
    expect(jobs).toHaveLength(1);
    // Whichever request came first made the job; each with the same body got it back, each other one 409.
    const winner = jobs[0];
    for (const [i, r] of replies.entries()) {
      const sent = i < 20 ? "x" : `changed ${i - 20}`;
      if (sent === winner?.bodyMd)
        expect([r.status === 201 || r.status === 200, r.body.id], `${i}`).toEqual([true, winner.id]);
      else expect(r.status, `${i}`).toBe(409);
    }
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status >= 500)).toEqual([]);
  });
});

describe("a key only the jobs column holds (from before hash rows were stored, or pruned apart by an older pass)", () => {
  it("gets its hash row at the coordinator's next start, from the job's own manifest and body: same → 200, another → 409", async () => {
    const product = "idem-pruned";
    const first = await post(product, { manifest: { title: "old" }, bodyMd: "v1" }, "old-key");
    // Storage as an older coordinator left it: the key in the jobs column alone, and no mark that the fill ran.
    await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
      s.storage.sql.exec("DELETE FROM idempotency_keys");
      s.storage.sql.exec("DELETE FROM meta WHERE key = ?", KEY_HASHES_FILLED);
    });
    await restartCoordinator(product);
    const rows = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) =>
      s.storage.sql
        .exec(`SELECT k.key, k.job_id, k.created_at = j.created_at AS dated_as_job
          FROM idempotency_keys AS k JOIN jobs AS j ON j.id = k.job_id`)
        .toArray(),
    );
    // Dated as its job, so the retention pass forgets row and column at the same instant (jobs/key-prune).
    expect(rows).toEqual([{ key: "old-key", job_id: first.body.id, dated_as_job: 1 }]);
    const same = await post(product, { manifest: { title: "old" }, bodyMd: "v1" }, "old-key");
    expect([same.status, same.body.id]).toEqual([200, first.body.id]);
    const changed = await post(product, { manifest: { title: "old" }, bodyMd: "v2" }, "old-key");
    expect([changed.status, changed.body.idempotencyKey]).toEqual([409, "old-key"]);
  });

  it("is looked up in one statement once the fill is done: the hash row alone, never the jobs column after a miss", async () => {
    const product = "idem-one-read";
    await post(product, { manifest: { title: "known" }, bodyMd: "x" }, "known-key");
    const reads = await runInDurableObject(env.COORDINATOR.getByName(product), (_i, s) => {
      const count = { reads: 0 };
      const sql = countingSql(s.storage.sql, count);
      // The fill's done mark is read once per handle, then kept in memory (runtime/meta): not per lookup.
      findKey(sql, "warm-up");
      count.reads = 0;
      const seen = ["known-key", "new-key"].map((key) => findKey(sql, key)?.jobId);
      return { seen, reads: count.reads };
    });
    expect(reads.seen).toEqual([expect.stringMatching(/^job_/), undefined]);
    expect(reads.reads).toBe(2);
  });
});

describe("tracker ingest with a repeated tracker id", () => {
  const ingest = (product: string, body: string, title = "Bug 42") =>
    api<{ idempotencyKey: string; status: string; jobId?: string } & Problem>("POST", `${P(product)}/tracker/ingest`, {
      token: ADMIN,
      json: { source: "github", externalId: "42", title, body },
    });

  it("answers 409 conflict naming the key when the tracker id comes back with a changed body", async () => {
    const product = "idem-tracker";
    const a = await ingest(product, "crash on start");
    expect(a.status).toBe(202);
    const jobs = await until(
      () => listJobs(product),
      (j) => j.length === 1,
    );
    expect(jobs[0]?.bodyMd).toBe("crash on start");
    const same = await ingest(product, "crash on start");
    expect(same.status).toBe(200);
    expect(same.body.jobId).toBe(jobs[0]?.id);
    const changed = await ingest(product, "crash on start, also on stop");
    expect(changed.status).toBe(409);
    expect(changed.body.code).toBe("conflict");
    expect(changed.body.detail).toContain('"tracker:github:42"');
    expect(await listJobs(product)).toEqual(jobs);
  });

  it("dead-letters, with code conflict, a changed item that reached the queue before its first one was processed", async () => {
    const product = "idem-tracker-race";
    const item = (bodyMd: string) => ({
      manifest: {
        ...{ title: "Bug 7", priority: "medium" as const, requires: [], prefers: [], budget: {}, deps: [] },
        ...{ depsMode: "all" as const, maxAttempts: 3, reviewers: 0, onReject: "fail" as const, kind: "task" as const },
        idempotencyKey: "tracker:github:7",
      },
      bodyMd,
    });
    const message = (bodyMd: string): DispatchMessage => ({
      kind: "submit",
      productId: product,
      actor: "test",
      origin: "tracker:github",
      items: [item(bodyMd)],
    });
    const batch = createMessageBatch<DispatchMessage>("gigafactory-dispatch", [
      { id: "t-1", timestamp: new Date(), attempts: 1, body: message("first") },
      { id: "t-2", timestamp: new Date(), attempts: 1, body: message("second") },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch as MessageBatch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks.sort()).toEqual(["t-1", "t-2"]);
    expect((await listJobs(product)).map((j) => j.bodyMd)).toEqual(["first"]);
    const dl = await api<{ items: Array<{ reason: string; body: { bodyMd: string } }> }>(
      "GET",
      `${P(product)}/dead-letters`,
      { token: ADMIN },
    );
    expect(dl.body.items).toHaveLength(1);
    expect(dl.body.items[0]?.reason).toMatch(/^conflict: .*"tracker:github:7"/);
    expect(dl.body.items[0]?.body.bodyMd).toBe("second");
  });
});
