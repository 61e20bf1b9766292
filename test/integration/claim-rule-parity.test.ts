// The pull claim's two statements of one rule pick the same job: core/pull-claim `pickJobForFactory` over an
// in-memory queue and dispatch/claim `claimFor`'s SQL walk (capability buckets merged in urgency order, closed serial
// gates and breaker-held engines skipped unread) agree, for random queues — priorities, ages, backoffs ahead or
// passed, capabilities and engines needed, serial keys held by running jobs or frozen by an operator, exclusions of
// the claimant in force or lapsed — random fleets — each factory's breakers per engine (closed, open, half-open with
// or without its trial out) under either overflow policy, a second factory's health (ok, degraded, down, left) and
// standing — and random claimants (capabilities, health, a free seat or none). Where they may differ by design,
// nothing here generates it: a job below a cancel cascade under way (dag/cancel-subtree), one too large for a frame
// (dispatch/frame-bound) or with no budget left (policies/job-allowance) — claimFor ends or skips it, which needs
// storage — and a walk past MAX_SCAN refused jobs. Each sample runs in a rolled-back transaction.
import { env, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Job, PRIORITIES } from "../../src/core/model.ts";
import { pickJobForFactory } from "../../src/core/pull-claim.ts";
import { claimFor, routeContext } from "../../src/durable-objects/coordinator/dispatch/claim.ts";
import {
  listFactories,
  requireFactory,
  updateFactory,
} from "../../src/durable-objects/coordinator/factories/registry.ts";
import { loadJob, saveJob } from "../../src/durable-objects/coordinator/jobs/rows.ts";
import { getSettings, saveSettings } from "../../src/durable-objects/coordinator/runtime/meta.ts";
import type { Tx } from "../../src/durable-objects/coordinator/runtime/tx.ts";
import type { Units } from "../../src/durable-objects/coordinator/runtime/units.ts";
import { enroll, submit } from "./client.ts";

const CAPS = ["os:linux", "gpu:h100", "tool:docker", "engine:codex", "engine:claude"];
const ENGINES = ["codex", "claude", "*"] as const; // `*`: the breaker of a job that names no engine
const MIN = 60_000;

const jobArb = fc.record({
  priority: fc.constantFrom(...PRIORITIES),
  requires: fc.subarray(CAPS.slice(0, 3)),
  engine: fc.option(fc.constantFrom("codex", "claude"), { nil: undefined }),
  ageMin: fc.integer({ min: 0, max: 600 }),
  backoff: fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }), // minutes from now: passed or ahead
  serialKey: fc.option(fc.constantFrom("k1", "k2"), { nil: undefined }),
  running: fc.boolean(), // assigned to the claimant: its serial key's gate is closed
  excluded: fc.option(fc.integer({ min: -30, max: 30 }), { nil: undefined }), // the claimant's exclusion ends (min)
});
/** `common` most of the time, else any of `rare`: enough samples have a job to take for the comparison to mean much. */
const mostly = <T>(common: T, ...rare: T[]) =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(common) }, { weight: 1, arbitrary: fc.constantFrom(...rare) });
const healthArb = mostly("ok", "degraded", "down", "left");
const breakerArb = mostly("closed", "open", "half_open", "trial_out");
const breakersArb = fc.tuple(breakerArb, breakerArb, breakerArb); // per ENGINES
const claimantArb = fc.record({
  capabilities: fc.oneof(fc.constant(CAPS), fc.subarray(CAPS)),
  load: fc.integer({ min: 0, max: 2 }),
  health: healthArb,
  breakers: breakersArb,
});
const fleetArb = fc.record({
  otherHealth: healthArb,
  otherStatus: fc.constantFrom("active", "draining", "quarantined"),
  otherBreakers: breakersArb,
  frozen: fc.subarray(["k1", "k2"]),
  overflow: fc.constantFrom("route", "hold"),
});
type Health = "ok" | "degraded" | "down" | "left";

/** The stored facts that make `id` read `health` at `tx.now` (core/departure `standingHealth`). */
function setHealth(tx: Tx, id: string, health: Health): void {
  const beat = { ok: 0, degraded: 40_000, down: 10 * MIN, left: 2 * MIN }[health];
  updateFactory(tx, id, {
    lastHeartbeatAt: tx.now - beat,
    leftAt: health === "left" ? tx.now - MIN : undefined,
    leaseExpiries: [],
  });
  expect(requireFactory(tx.sql, id, tx.now).health).toBe(health);
}

/** `id`'s breaker per engine as stored (policies/breakers): open for 10 min, half-open with or without a trial out. */
function setBreakers(tx: Tx, id: string, states: readonly string[]): void {
  states.forEach((state, i) => {
    if (state === "closed") return;
    const openUntil = state === "open" ? tx.now + 10 * MIN : tx.now - MIN;
    const trial = state === "trial_out" ? ["job_trial", 1] : [null, null];
    tx.sql.exec(
      `INSERT INTO breakers(factory_id, engine, consecutive_failures, open_until, cool_down_s, trial_out, trial_job_id, trial_epoch)
       VALUES (?, ?, 5, ?, 60, ?, ?, ?)`,
      id,
      ENGINES[i] as string,
      openUntil,
      state === "trial_out" ? 1 : 0,
      ...trial,
    );
  });
}

class RollBack extends Error {}

describe("the pull claim's rule, pure and over SQL", () => {
  it("picks the same job for random queues and claimants (property)", async () => {
    const product = "claim-parity";
    const f = await enroll(product, "box", CAPS, 2);
    const other = await enroll(product, "other", CAPS, 2); // the fleet a half-open trial defers to, or an overflow holds for
    const seed = await submit(product, { title: "seed" });
    await runInDurableObject(env.COORDINATOR.getByName(product), (instance) => {
      const units = (instance as unknown as { units: Units }).units;
      let picked = 0;
      fc.assert(
        fc.property(fc.array(jobArb, { maxLength: 10 }), claimantArb, fleetArb, (specs, claimant, world) => {
          let outcome: { pure?: string; sql?: string } = {};
          expect(() =>
            units.transact((tx) => {
              const template = loadJob(tx.sql, seed.id) as Job;
              tx.sql.exec("DELETE FROM jobs");
              tx.sql.exec("DELETE FROM breakers");
              tx.sql.exec("DELETE FROM exclusions");
              const settings = getSettings(tx.sql);
              saveSettings(tx.sql, { ...settings, frozenSerialKeys: world.frozen, overflow: world.overflow });
              setHealth(tx, f.factoryId, claimant.health as Health);
              setHealth(tx, other.factoryId, world.otherHealth as Health);
              updateFactory(tx, other.factoryId, { status: world.otherStatus as "active" });
              setBreakers(tx, f.factoryId, claimant.breakers);
              setBreakers(tx, other.factoryId, world.otherBreakers);
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
                    ...(s.engine ? { engine: s.engine } : {}),
                  },
                  // The job's own fields are what routing and storage read; the manifest is kept alongside.
                  priority: s.priority,
                  requires: s.requires,
                  ...(s.serialKey ? { serialKey: s.serialKey } : {}),
                  ...(s.engine ? { engine: s.engine } : {}),
                  stage: s.running ? "assigned" : "queued",
                  queuedAt,
                  createdAt: queuedAt,
                  ...(s.running
                    ? { holderFactoryId: f.factoryId, leaseEpoch: 1, leaseExpiresAt: tx.now + 60 * MIN }
                    : {}),
                  ...(s.backoff === undefined || s.running ? {} : { notBefore: tx.now + s.backoff * MIN }),
                };
                saveJob(tx.sql, job);
                if (s.excluded !== undefined)
                  tx.sql.exec(
                    "INSERT INTO exclusions(job_id, factory_id, strikes, kind, at, until) VALUES (?, ?, 1, 'expired', ?, ?)",
                    job.id,
                    f.factoryId,
                    tx.now - 5 * MIN,
                    tx.now + s.excluded * MIN,
                  );
                return job;
              });
              const { capabilities, load } = claimant;
              const factory = { ...requireFactory(tx.sql, f.factoryId, tx.now), capabilities, load };
              const pure = pickJobForFactory(jobs, factory, routeContext(tx), listFactories(tx.sql, tx.now));
              outcome = { pure: pure?.id, sql: claimFor(tx, factory)?.job.id };
              throw new RollBack();
            }),
          ).toThrow(RollBack);
          expect(outcome.sql, JSON.stringify({ specs, claimant, world })).toBe(outcome.pure);
          if (outcome.pure) picked++;
        }),
        { numRuns: 400 },
      );
      expect(picked).toBeGreaterThan(5); // not a comparison of two "none"s only: many samples have a job to take
      expect(picked).toBeLessThan(400); // nor of queues where every job fits: the filters and gates refuse some
    });
  });
});
