/**
 * @module shared/protocol-assignment
 * One lease as the coordinator hands it to a factory: in an `assign` frame, and in `welcome.leases` for the leases a
 * reconnecting factory still holds (shared/protocol). Besides the job and its lease (epoch, expiry, TTL), what the
 * agent needs to run it within bounds: the lessons for the engine, what is left of the job's budget, and — for a
 * resumed lease — what its run has spent and when it started, so a fresh engine on it is held to the run's bounds,
 * not given new ones. Every optional field is absent from older coordinators, and the agent then falls back.
 */

/** What the coordinator pushes. Jobs travel as the domain `Job` (see core/model). */
export interface Assignment {
  job: import("../core/model.ts").Job;
  leaseEpoch: number;
  expiresAt: number;
  ttlSeconds: number;
  /**
   * The product's lessons relevant to this job (core/lessons: matched by capability, engine or serial key; newest
   * first; ≤ 8 and ≤ 4 KiB of text). The agent hands them to the engine in `$GF_LESSONS_FILE`. Absent from older
   * coordinators; absent or empty = none.
   */
  lessons?: Array<{ id: string; text: string }>;
  /**
   * What is left of the job's `budget.usd` (USD) and `budget.tokens` (tokens in + out) for this run: they bound the
   * whole job, so its earlier runs' spend is taken off (core/job-budget `jobAllowance`; 0 = nothing left). The agent
   * stops the engine past it. Absent when the job sets neither limit, and from older coordinators (the agent then
   * holds the run to the manifest's budget).
   */
  allowance?: import("../core/job-budget.ts").JobAllowance;
  /**
   * `welcome.leases` only: what this run has reported so far (USD, tokens in + out; core/job-budget `RunSpent`). A
   * fresh engine on the lease reports this plus its own usage and is held to `allowance` with it. Absent from older
   * coordinators.
   */
  runSpent?: import("../core/job-budget.ts").RunSpent;
  /**
   * `welcome.leases` only: when this run started (ms epoch, the coordinator's clock: the run's `startedAt`). The job's
   * `budget.wallSeconds` bounds the run, so a fresh engine on the lease gets only what is left of it (core/job-budget
   * `runWallLeft`, at least 1 s). Absent from older coordinators (the engine then gets the whole `wallSeconds`).
   */
  runStartedAt?: number;
}
