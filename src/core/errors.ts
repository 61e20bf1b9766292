/**
 * @module core/errors
 * Every failure the domain can report is one `DomainError` with a stable `code`.
 * The Worker maps codes to HTTP status and problem+json in exactly one place
 * (`src/worker/problem.ts`); Durable Objects throw these across RPC, so the
 * code travels as a plain string prefix in the message (see `encode`/`decode`).
 */

export const ERROR_CODES = {
  validation_failed: 400,
  invalid_manifest: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /**
   * A breaker reset names an engine its factory never declared and has no breaker for (core/breaker-engines): a typo,
   * not "already closed" — `engines` lists the factory's.
   */
  unknown_engine: 404,
  method_not_allowed: 405,
  fenced: 409,
  illegal_transition: 409,
  not_lease_holder: 409,
  conflict: 409,
  /** A job's own budget (manifest `budget.usd`/`tokens`) leaves it nothing to run with (policies/job-allowance). */
  budget_exceeded: 409,
  /** A requeue of a job under a cancelled composite (core/composite `cancelledAncestor`): its work went with it. */
  ancestor_cancelled: 409,
  /** A job holds the most artifacts it may keep (core/artifact-limits): a new name is refused, a re-upload is not. */
  too_many_artifacts: 409,
  /** An experiment's two arms have the same policy (core/experiment-spec): it would compare a policy with itself. */
  identical_arms: 400,
  /** A dead letter whose body is not the message its source sends (worker/queues/redrive): it is kept, not redriven. */
  dead_letter_malformed: 409,
  /** A dead letter no queue takes back safely (an outbox record, a refused bulk item): kept (worker/queues/redrive). */
  dead_letter_not_redrivable: 409,
  /** Retention purged a terminal job's feed and artifacts (coordinator/jobs/retention): nothing is added to them. */
  feed_purged: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  /** A feed resumed `after` a seq the feed never reached (Range Not Satisfiable: the position is past the end). */
  after_beyond_feed: 416,
  /** A byte range of an artifact that selects none of its bytes (it starts at or past the end: `size` says where). */
  range_not_satisfiable: 416,
  upgrade_required: 426,
  limit_exceeded: 429,
  /** A dependency (the dispatch queue, R2) refused the request's work: nothing of it was kept, and a resend may pass. */
  unavailable: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  // Plain fields, not parameter properties: the agent runs this file under
  // Node's type stripping, which does not support them.
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

/** A stale `leaseEpoch`: the caller lost its lease; nothing was changed. */
export class FencedError extends DomainError {
  /**
   * `stage`: the job's stage when its epoch is the one given but it holds no lease any more (its lease ended: a
   * result, an expiry, a cancel), so the message says that, not "stale (current epoch 1)" for epoch 1.
   */
  constructor(jobId: string, given: number, current: number, stage?: string) {
    const why =
      given === current && stage !== undefined
        ? `job ${jobId} holds no lease at epoch ${given} any more (it is ${stage})`
        : `lease epoch ${given} of job ${jobId} is stale (current epoch ${current})`;
    super("fenced", why, { jobId, given, current, ...(stage !== undefined ? { stage } : {}) });
  }
}

export class IllegalTransitionError extends DomainError {
  constructor(jobId: string, from: string, to: string) {
    super("illegal_transition", `job ${jobId} cannot move from ${from} to ${to}`, { jobId, from, to });
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super("not_found", `${what} ${id} does not exist`, { what, id });
  }
}

/**
 * What a Durable Object RPC returns: a value, or the domain error as plain data.
 * Errors are returned, not thrown, across RPC — a thrown error loses its class
 * and is logged by the runtime as an uncaught exception, which a refused
 * claim or a fenced patch is not.
 */
export type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

export function failure(err: DomainError): Outcome<never> {
  return { ok: false, error: { code: err.code, message: err.message, details: err.details } };
}

/** Turn an Outcome back into a value, or throw its DomainError (Worker side). */
export async function unwrap<T>(outcome: Promise<Outcome<T>> | Outcome<T>): Promise<T> {
  const o = await outcome;
  if (o.ok) return o.value;
  throw new DomainError(o.error.code, o.error.message, o.error.details);
}

export function assertExhaustive(value: never, what = "value"): never {
  throw new Error(`unhandled ${what}: ${String(value)}`);
}
