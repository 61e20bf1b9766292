// Dispatch's frame bound decides a stored job from the length of the document it was read from when that proves it fits (six bytes a UTF-16 unit at most, once serialized again), without serializing the job: a queued job is found assignable with no JSON.stringify of it; one past that proof (a 150,000-character body) is measured exactly as before and still assigned; an object not read from its row is measured too. Every verdict is the old rule's (fitsUtf8 of its JSON within MAX_ASSIGNED_JOB_BYTES).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { fitsUtf8 } from "../../src/core/bytes.ts";
import type { Job } from "../../src/core/model.ts";
import { assignable, RESERIALIZED_BYTES_PER_UNIT } from "../../src/durable-objects/coordinator/dispatch/frame-bound.ts";
import { loadedDocLength, loadJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import { MAX_ASSIGNED_JOB_BYTES } from "../../src/shared/protocol.ts";
import { submit } from "./client";

interface Verdict {
  assignable: boolean;
  /** JSON.stringify calls made with the job itself while `assignable` ran. */
  serialized: number;
  /** The rule before the stored-text proof: the job's JSON within the bound. */
  oldRule: boolean;
  docLength: number | undefined;
}

/** `assignable` on the job as dispatch reads it (`loadJob`), or on a copy of it (`copy`), counting its serializations. */
function verdictOf(product: string, jobId: string, copy = false): Promise<Verdict> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state: DurableObjectState) => {
    const sql = state.storage.sql;
    const loaded = loadJob(sql, jobId) as Job;
    const job = copy ? { ...loaded } : loaded;
    const oldRule = fitsUtf8(JSON.stringify(job), MAX_ASSIGNED_JOB_BYTES);
    const stringify = JSON.stringify;
    let serialized = 0;
    JSON.stringify = ((...args: Parameters<typeof stringify>) => {
      if (args[0] === job) serialized++;
      return stringify(...args);
    }) as typeof stringify;
    try {
      const ok = assignable({ sql, productId: product, now: Date.now() }, job);
      return { assignable: ok, serialized, oldRule, docLength: loadedDocLength(job) };
    } finally {
      JSON.stringify = stringify;
    }
  });
}

describe("the frame bound at dispatch, decided from the stored document", () => {
  it("finds a queued job assignable without serializing it", async () => {
    const product = "assign-bound-text-small";
    const job = await submit(product, { title: "small" }, "do the thing");
    const v = await verdictOf(product, job.id);
    expect(v).toMatchObject({ assignable: true, serialized: 0, oldRule: true });
    expect((v.docLength ?? 0) * RESERIALIZED_BYTES_PER_UNIT).toBeLessThanOrEqual(MAX_ASSIGNED_JOB_BYTES);
  });

  it("measures a job past the proof exactly, as before, and still assigns it when it fits", async () => {
    const product = "assign-bound-text-large";
    const job = await submit(product, { title: "large" }, "a".repeat(150_000));
    const v = await verdictOf(product, job.id);
    expect((v.docLength ?? 0) * RESERIALIZED_BYTES_PER_UNIT).toBeGreaterThan(MAX_ASSIGNED_JOB_BYTES);
    expect(v).toMatchObject({ assignable: true, serialized: 1, oldRule: true });
  });

  it("measures an object not read from its row (a copy), as before", async () => {
    const product = "assign-bound-text-copy";
    const job = await submit(product, { title: "copy" }, "x");
    const v = await verdictOf(product, job.id, true);
    expect(v).toMatchObject({ assignable: true, serialized: 1, oldRule: true, docLength: undefined });
  });
});
