// 8 HTTP factories drain 1,000 jobs through the real local server; a server crash
// and restart mid-run loses no accepted job and completes none twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, call, type Harness, P, startHarness } from "./harness.ts";

const PRODUCT = "e2e-drain";
/** Enough that the crash lands mid-run with hundreds in flight; throughput itself is a benchmark figure (npm run bench). */
const JOBS = 1000;
const FACTORIES = 8;
/** Short leases so a claim whose reply was lost in the crash comes back quickly. */
const LEASE_TTL_S = 5;

interface Claimed {
  job: { id: string };
  lease: { leaseEpoch: number };
}

describe("draining 1,000 jobs with 8 HTTP factories", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("completes every accepted job exactly once, across a crash and restart of the server", async () => {
    const tokens: string[] = [];
    for (let i = 0; i < FACTORIES; i++) {
      const r = await call<{ token: string }>(h.url, "POST", `${P(PRODUCT)}/factories/enroll`, ADMIN, {
        name: `factory-${i}`,
        seats: 4,
      });
      expect(r.status).toBe(201);
      tokens.push(r.body.token);
    }

    // Submit with idempotency keys: a submission retried across the crash cannot make a second job.
    const accepted = new Set<string>();
    let submitted = 0;
    const submitter = async () => {
      for (;;) {
        const n = submitted++;
        if (n >= JOBS) return;
        const r = await call<{ id: string }>(h.url, "POST", `${P(PRODUCT)}/jobs`, ADMIN, {
          manifest: { title: `job ${n}`, idempotencyKey: `drain-${n}` },
        });
        if (r.status === 201 || r.status === 200) accepted.add(r.body.id);
        else throw new Error(`submit ${n}: ${r.status} ${JSON.stringify(r.body)}`);
      }
    };

    const completions = new Map<string, number>();
    let done = false;
    const factory = async (token: string) => {
      while (!done) {
        const c = await call<Claimed>(h.url, "POST", `${P(PRODUCT)}/claim`, token, { leaseTtlSeconds: LEASE_TTL_S });
        if (c.status === 204) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        expect(c.status).toBe(200);
        const path = `${P(PRODUCT)}/jobs/${c.body.job.id}`;
        const epoch = c.body.lease.leaseEpoch;
        const b = await call(h.url, "PATCH", path, token, { leaseEpoch: epoch, stage: "building" });
        if (b.status !== 200) continue; // fenced: the lease was lost across the restart
        const t = await call(h.url, "PATCH", path, token, { leaseEpoch: epoch, stage: "testing" });
        if (t.status === 200) completions.set(c.body.job.id, (completions.get(c.body.job.id) ?? 0) + 1);
      }
    };

    const submitting = Promise.all(Array.from({ length: 8 }, submitter));
    const working = Promise.all(tokens.map(factory));

    // Crash the whole local runtime once a quarter of the jobs are in, then bring it back.
    while (accepted.size < JOBS / 4) await new Promise((r) => setTimeout(r, 100));
    await h.restart("crash");

    await submitting;
    // Done when the server says every accepted job reached `testing` (a reply lost in the
    // crash can hide a completion from the client, never from the server).
    const deadline = Date.now() + 150_000;
    while (Date.now() < deadline && (await stageCounts(h.url)).get("testing") !== accepted.size) {
      await new Promise((r) => setTimeout(r, 1000));
    }
    done = true;
    await working;

    const stages = await stageCounts(h.url);
    const clientDuplicates = [...completions.values()].filter((n) => n > 1).length;
    // Server-side: a job finished twice would have two successful runs.
    let serverDuplicates = 0;
    const ids = [...accepted];
    for (let i = 0; i < ids.length; i += 16) {
      const batch = await Promise.all(
        ids
          .slice(i, i + 16)
          .map((id) =>
            call<{ runs: Array<{ result?: { outcome: string } }> }>(
              h.url,
              "GET",
              `${P(PRODUCT)}/jobs/${id}/runs`,
              ADMIN,
            ),
          ),
      );
      for (const r of batch) {
        if (r.body.runs.filter((run) => run.result?.outcome === "success").length > 1) serverDuplicates++;
      }
    }
    expect({ accepted: accepted.size, clientDuplicates, serverDuplicates }).toEqual({
      accepted: JOBS,
      clientDuplicates: 0,
      serverDuplicates: 0,
    });
    // Nothing missing, nothing stranded: every accepted job is in `testing`, none anywhere else.
    expect(Object.fromEntries(stages)).toEqual({ testing: JOBS });
  });
});

async function stageCounts(url: string): Promise<Map<string, number>> {
  let cursor: string | undefined;
  const stages = new Map<string, number>();
  do {
    const r = await call<{ jobs: Array<{ stage: string }>; nextCursor?: string }>(
      url,
      "GET",
      `${P(PRODUCT)}/jobs?limit=500${cursor ? `&cursor=${cursor}` : ""}`,
      ADMIN,
    );
    for (const j of r.body.jobs) stages.set(j.stage, (stages.get(j.stage) ?? 0) + 1);
    cursor = r.body.nextCursor;
  } while (cursor);
  return stages;
}
