/**
 * @module shared/protocol-assignment
 * One lease as the coordinator hands it to a factory: in an `assign` frame, and in `welcome.leases` for the leases a
 * reconnecting factory still holds (shared/protocol). Besides the job and its lease (epoch, expiry, TTL), what the
 * agent needs to run it within bounds: the lessons for the engine, what is left of the job's budget, and — for a
 * resumed lease — what its run has spent and when it started, so a fresh engine on it is held to the run's bounds,
 * not given new ones. Every optional field is absent from older coordinators, and the agent then falls back.
 * Also the byte bounds of what the coordinator sends (MAX_SERVER_FRAME_BYTES and the per-assignment share).
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
   * `welcome.leases` only: what this run has reported so far (USD, tokens in + out, and of them the written part
   * `tokensOut` ≤ tokens when known; core/job-budget `RunSpent`). A fresh engine on the lease reports this plus its
   * own usage, folded by side (agent/run-usage), and is held to `allowance` with it. Absent from older coordinators;
   * `tokensOut` also when the run's split is unknown. The agent checks it (agent/assignment-guard).
   */
  runSpent?: import("../core/job-budget.ts").RunSpent;
  /**
   * `welcome.leases` only: when this run started (ms epoch, the coordinator's clock: the run's `startedAt`). The job's
   * `budget.wallSeconds` bounds the run, so a fresh engine on the lease gets only what is left of it (core/job-budget
   * `runWallLeft`, at least 1 s). Absent from older coordinators (the engine then gets the whole `wallSeconds`).
   */
  runStartedAt?: number;
}

/**
 * The largest frame the coordinator sends a factory (UTF-8 bytes of its JSON), and what the agent accepts (its
 * socket's `maxPayload`, agent/connection): one number, so the two sides agree. 64 MiB: a `welcome` or an `assign`
 * carries at most one assignment per seat, a host has at most MAX_SEATS, and each assignment is held to
 * MAX_ASSIGNMENT_BYTES — so no frame the coordinator builds reaches it.
 */
export const MAX_SERVER_FRAME_BYTES = 64 * 1024 * 1024;
/** Seats a host may run (`hello.seats`, enrollment's `seats`: at most 64). */
export const MAX_SEATS = 64;
/** One assignment's share of a frame: 1 MiB. */
export const MAX_ASSIGNMENT_BYTES = MAX_SERVER_FRAME_BYTES / MAX_SEATS;
/**
 * 160 KiB kept for what an assignment adds to its job's document, and what that document may grow by while the
 * lease is held (a reconnect's `welcome` lists it again): the lessons (≤ 4 KiB of text, ≤ 24 KiB as escaped JSON),
 * the lease, allowance and spend fields (< 1 KiB), the run's progress and checkpoint notes (≤ 8,000 bytes each,
 * ≤ 48,000 escaped) and checkpoint branch (≤ 4,800 escaped): about 127 KB at worst.
 */
export const ASSIGNMENT_ROOM_BYTES = 160 * 1024;
/**
 * The largest job document (its JSON, as the coordinator stores and sends it) dispatch hands out: 864 KiB. A
 * manifest and body are at most 256 KiB as submitted, but JSON escapes a control character in six bytes, and a
 * job gathers feedback, reviews and its last result: such a job is refused at submit (coordinator/jobs/submit, 413),
 * and one stored before that, or grown past it, is ended at dispatch (dispatch/frame-bound), where its frame would
 * have been refused by the agent and the socket closed — on every reconnect, with the job in the `welcome` again.
 */
export const MAX_ASSIGNED_JOB_BYTES = MAX_ASSIGNMENT_BYTES - ASSIGNMENT_ROOM_BYTES;
