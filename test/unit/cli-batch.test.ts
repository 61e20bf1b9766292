// `gigafactory batch ID` over a real local socket: prints the batch's one-line summary (created · on their way · rejected,
// done or not) and one row per item (job id once created, the refusal code if rejected), the API's document under
// --json, and an unknown batch as one `✘ ERROR` line with exit 1; items that repeat an earlier item's key (one job,
// core/batch-repeats) are said in the summary and in their rows, and a server that sends no `jobs` reads as before;
// items whose job was already there (a batch sent again) are counted `existing`, apart from `created`.
import { describe, expect, it } from "vitest";
import type { BatchView } from "../../src/shared/api-batches.ts";
import { captureCli, connection, stubCoordinator } from "../support/cli-harness.ts";

const BATCH: BatchView = {
  id: "b-1",
  createdAt: 1_700_000_000_000,
  total: 3,
  created: 1,
  existing: 0,
  queued: 1,
  rejected: 1,
  jobs: 2,
  items: [
    { index: 0, key: "content:aa", status: "created", jobId: "job_1" },
    { index: 1, status: "rejected", code: "invalid_manifest" },
    { index: 2, key: "content:cc", status: "queued" },
  ],
  done: false,
};

/** Three identical keyless items: one content key, one job. */
const REPEATS: BatchView = {
  id: "b-2",
  createdAt: 1_700_000_000_000,
  total: 3,
  created: 3,
  existing: 0,
  queued: 0,
  rejected: 0,
  jobs: 1,
  items: [0, 1, 2].map((index) => ({
    index,
    key: "content:aa",
    status: "created" as const,
    jobId: "job_1",
    ...(index > 0 ? { repeatOf: 0 } : {}),
  })),
  done: true,
};

/** The same two items sent again: their jobs were there, so they are `existing`, as a single submit says. */
const AGAIN: BatchView = {
  id: "b-3",
  createdAt: 1_700_000_000_000,
  total: 2,
  created: 0,
  existing: 2,
  queued: 0,
  rejected: 0,
  jobs: 2,
  items: [0, 1].map((index) => ({ index, key: `k-${index}`, status: "existing" as const, jobId: `job_${index}` })),
  done: true,
};

/** A stand-in coordinator that knows batch b-1 and nothing else (404 problem+json). */
async function coordinator(): Promise<string> {
  const stub = await stubCoordinator((req, reply) => {
    if (req.url === "/api/v1/products/shop/batches/b-1") return reply.json(200, BATCH);
    if (req.url === "/api/v1/products/shop/batches/b-2") return reply.json(200, REPEATS);
    if (req.url === "/api/v1/products/shop/batches/b-3") return reply.json(200, AGAIN);
    if (req.url === "/api/v1/products/shop/batches/b-old")
      return reply.json(200, { ...BATCH, jobs: undefined, existing: undefined });
    reply.problem(404, { title: "Not Found", detail: "batch nope not found", code: "not_found" });
  });
  return stub.url;
}

const cli = (url: string, ...argv: string[]) => captureCli([...argv, ...connection(url, "shop")]);

describe("gigafactory batch", () => {
  it("prints the summary and one row per item", async () => {
    const r = await cli(await coordinator(), "batch", "b-1");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^batch b-1: 3 items — 1 created · 1 on their way · 1 rejected \(jobs still on their way\)$/m,
    );
    expect(r.stdout).toMatch(/^\s*0\s+created\s+job_1\s+content:aa$/m);
    expect(r.stdout).toMatch(/^\s*1\s+rejected\s+invalid_manifest\s+—$/m);
    expect(r.stdout).toMatch(/^\s*2\s+on its way\s+—\s+content:cc$/m);
  });

  it("counts items whose job was already there (the batch sent again) as existing, not created", async () => {
    // A re-sent bulk batch read "12 created" with the first batch's job ids (pass 43).
    const r = await cli(await coordinator(), "batch", "b-3");
    expect(r.stdout).toMatch(/^batch b-3: 2 items — 0 created · 2 existing · 0 on their way · 0 rejected \(done\)$/m);
    expect(r.stdout).toMatch(/^\s*0\s+existing\s+job_0\s+k-0$/m);
  });

  it("emits the API's document under --json, and an unknown batch is one error line", async () => {
    const url = await coordinator();
    expect(JSON.parse((await cli(url, "batch", "b-1", "--json")).stdout)).toEqual(BATCH);
    const missing = await cli(url, "batch", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^✘ ERROR not_found: /);
  });

  it("says how many jobs repeated items name, in the summary and in their rows", async () => {
    const url = await coordinator();
    const r = await cli(url, "batch", "b-2");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^batch b-2: 3 items — 3 created · 0 on their way · 0 rejected, 1 job \(2 items repeat an earlier one\) \(done\)$/m,
    );
    expect(r.stdout).toMatch(/^\s*0\s+created\s+job_1\s+content:aa$/m);
    expect(r.stdout).toMatch(/^\s*2\s+created\s+job_1 \(= item 0\)\s+content:aa$/m);
    const old = await cli(url, "batch", "b-old");
    expect(old.stdout).toMatch(
      /^batch b-1: 3 items — 1 created · 1 on their way · 1 rejected \(jobs still on their way\)$/m,
    );
  });
});
