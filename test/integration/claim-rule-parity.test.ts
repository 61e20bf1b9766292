// The pull claim's two statements of one rule pick the same job: core/pull-claim `pickJobForFactory` over an
// in-memory queue and dispatch/claim `claimFor`'s SQL walk (capability buckets merged in urgency order, closed serial
// gates skipped unread) agree, for random queues — priorities, ages, backoffs ahead or passed, capabilities needed,
// serial keys held by running jobs — and random claimants (capabilities, a free seat or none). Where they may
// differ by design, nothing here generates it: a job below a cancel cascade under way (dag/cancel-subtree), one too
// large for a frame (dispatch/frame-bound) or with no budget left (policies/job-allowance) — claimFor ends or skips
// it, which needs storage — and a walk past MAX_SCAN refused jobs. Each sample runs in a rolled-back transaction.
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Job, PRIORITIES } from "../../src/core/model.ts";
import { pickJobForFactory } from "../../src/core/pull-claim.ts";
import { claimFor, routeContext } from "../../src/durable-objects/coordinator/dispatch/claim.ts";
import { listFactories, requireFactory } from "../../src/durable-objects/coordinator/factories/registry.ts";
import { loadJob, saveJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { enroll, submit } from "./client.ts";

const CAPS = ["os:linux", "gpu:h100", "tool:docker"];
const MIN = 60_000;

const jobArb = fc.record({
  priority: fc.constantFrom(...PRIORITIES),
  requires: fc.subarray(CAPS),
  ageMin: fc.integer({ min: 0, max: 600 }),
  backoff: fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }), // minutes from now: passed or ahead
  serialKey: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
  running: fc.boolean(), // assigned to the claimant: its serial key's gate is closed
});
const claimantArb = fc.record({ capabilities: fc.subarray(CAPS), load: fc.integer({ min: 0, max: 2 }) });

class RollBack extends Error {}

describe("the pull claim's rule, pure and over SQL", () => {
  it("picks the same job for random queues and claimants (property)", async () => {
    const product = "claim-parity";
    const f = await enroll(product, "box", CAPS, 2);
    const seed = await submit(product, { title: "seed" });
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const units = (instance as unknown as { units: Units }).units;
      let picked = 0;
      fc.assert(
        fc.property(fc.array(jobArb, { maxLength: 10 }), claimantArb, (specs, claimant) => {
          let outcome: { pure?: string; sql?: string } = {};
          expect(() =>
            units.transact((tx) => {
              const template = loadJob(tx.sql, seed.id) as Job;
              tx.sql.exec("DELETE FROM jobs");
              const jobs = specs.map((s, i): Job => {
                const queuedAt = tx.now - s.ageMin * MIN;
                const job: Job = {
                  ...template,
                  id: `job_p${String(i).padStart(2, "0")}`,
                  manifest: {
                    ...template.manifest,
                    priority: s.priority,
                    requires: s.requires,
                    ...(s.serialKey ? { serialKey: s.serialKey } : {}),
                  },
                  // The job's own fields are what routing and storage read; the manifest is kept alongside.
                  priority: s.priority,
                  requires: s.requires,
                  ...(s.serialKey ? { serialKey: s.serialKey } : {}),
                  stage: s.running ? "assigned" : "queued",
                  queuedAt,
                  createdAt: queuedAt,
                  ...(s.running
                    ? { holderFactoryId: f.factoryId, leaseEpoch: 1, leaseExpiresAt: tx.now + 60 * MIN }
                    : {}),
                  ...(s.backoff === undefined || s.running ? {} : { notBefore: tx.now + s.backoff * MIN }),
                };
                saveJob(tx.sql, job);
                return job;
              });
              const factory = { ...requireFactory(tx.sql, f.factoryId, tx.now), ...claimant };
              const pure = pickJobForFactory(jobs, factory, routeContext(tx), listFactories(tx.sql, tx.now));
              outcome = { pure: pure?.id, sql: claimFor(tx, factory)?.job.id };
              throw new RollBack();
            }),
          ).toThrow(RollBack);
          expect(outcome.sql, JSON.stringify({ specs, claimant })).toBe(outcome.pure);
          if (outcome.pure) picked++;
        }),
        { numRuns: 150 },
      );
      expect(picked).toBeGreaterThan(5); // not a comparison of two "none"s only: many samples have a job to take
      expect(picked).toBeLessThan(150); // nor of queues where every job fits: the filters and gates refuse some
    });
  });
});
