/**
 * @module core/stages
 * The job stage machine: the single, exhaustive table of which stage may follow
 * which. Every stage change anywhere in the system (claim, patch, reaper, review,
 * operator action) goes through `assertTransition`, so the table below IS the
 * lifecycle — the seed's state diagram (seed 004 §4) plus `cancelled`, which is
 * reachable from every non-terminal stage (SPEC §3).
 */
import { IllegalTransitionError } from "./errors.ts";
import { LEASED_STAGES, STAGES, type Stage, TERMINAL_STAGES } from "./model.ts";

/*
 * Why each edge exists (the seed diagram's labels, plus our documented additions):
 *   queued   → blocked    deps not yet satisfied
 *   queued   → assigned   claim won (CAS + lease)
 *   queued   → failed     ADDITION: a lost run's fenced report puts the job's spend past its own budget while it
 *                         waits to run again (budget_exceeded, policies/late-spend): it must not run again
 *   blocked  → queued     deps satisfied (unblock / reaper)
 *   blocked  → failed     ADDITION: a dep ended without shipping (dependency_failed), or a
 *                         composite parent's child did (core/composite, onChildFailure)
 *   blocked  → review     ADDITION: a composite parent's children all ended (it never builds
 *   blocked  → testing              itself), through the same review gate a built job passes
 *   assigned → building   the factory started work (fenced patch)
 *   assigned → queued     lease expired or the factory released the job
 *   assigned → failed     ADDITION: the factory failed before building, or the lease
 *                         expired with attempts exhausted (the reaper parks it in
 *                         `failed` on its way to `dead_letter`; the seed has no edge)
 *   building → review     rc=0 and the manifest asks for reviewers
 *   building → testing    rc=0, no review gate
 *   building → failed     verify-fail / budget_exceeded / timeout
 *   building → queued     preempted by a critical job, or lease expired
 *   review   → testing    approval quorum reached
 *   review   → failed     rejected (onReject: fail)
 *   review   → queued     ADDITION: rejected with onReject: requeue (SPEC §6 review gate)
 *   testing  → shipped    ship
 *   testing  → failed     tests failed
 *   failed   → queued     operator requeue or automatic retry with backoff
 *   failed   → dead_letter retries exhausted
 *   dead_letter → queued  ADDITION: an operator's requeue (SPEC §6 "an operator can requeue"), attempts reset.
 *                         The only edge out of a terminal stage, and no automatic path takes it (afterFailure and
 *                         the reaper move jobs out of `failed`, never out of `dead_letter`): dead_letter stays
 *                         terminal — no `cancelled` edge, retention may purge its feed, dependents see it as dead —
 *                         until a human decides the cause is fixed.
 * `cancelled` is appended to every non-terminal row by `withCancel` below rather
 * than written ten times, so it cannot be forgotten on a new stage.
 */
const BASE: Record<Stage, readonly Stage[]> = {
  queued: ["blocked", "assigned", "failed"],
  blocked: ["queued", "failed", "review", "testing"],
  assigned: ["building", "queued", "failed"],
  building: ["review", "testing", "failed", "queued"],
  review: ["testing", "failed", "queued"],
  testing: ["shipped", "failed"],
  failed: ["queued", "dead_letter"],
  shipped: [],
  dead_letter: ["queued"],
  cancelled: [],
};

/**
 * True for the stages where a job's life ends (shipped, dead_letter, cancelled): nothing automatic moves it on,
 * nor can it be cancelled. One exception, by a human: an operator's requeue of a `dead_letter` job (see above).
 */
export function isTerminal(stage: Stage): boolean {
  return TERMINAL_STAGES.includes(stage);
}

function withCancel(table: Record<Stage, readonly Stage[]>): Record<Stage, readonly Stage[]> {
  const out = {} as Record<Stage, readonly Stage[]>;
  for (const stage of STAGES) {
    const targets = table[stage];
    out[stage] = Object.freeze(isTerminal(stage) ? [...targets] : [...targets, "cancelled"]);
  }
  return Object.freeze(out);
}

/** The complete transition table: `TRANSITIONS[from]` lists every legal `to`. */
export const TRANSITIONS: Readonly<Record<Stage, readonly Stage[]>> = withCancel(BASE);

/** The stages a job in `stage` may move to next (empty for terminal stages). */
export function allowedFrom(stage: Stage): readonly Stage[] {
  return TRANSITIONS[stage];
}

/** Whether `from → to` is a legal move. A self-loop is never legal: a no-op is not a transition. */
export function canTransition(from: Stage, to: Stage): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * An `IllegalTransitionError` whose message also tells the caller what WOULD have
 * been legal, so an operator reading a 409 knows what to do instead. It stays an
 * `IllegalTransitionError` (same code, same `jobId/from/to` details) so callers
 * that catch the base class keep working; `allowed` is added to the details.
 */
export class StageTransitionError extends IllegalTransitionError {
  readonly allowed: readonly Stage[];

  constructor(jobId: string, from: Stage, to: Stage) {
    super(jobId, from, to);
    this.allowed = allowedFrom(from);
    this.message = describeRefusal(jobId, from, to);
    if (this.details) this.details.allowed = [...this.allowed];
  }
}

/** The human sentence for a refused move, e.g. "... (shipped is terminal)". */
export function describeRefusal(jobId: string, from: Stage, to: Stage): string {
  const head = `job ${jobId} cannot move from ${from} to ${to}`;
  if (isTerminal(from)) {
    const exits = allowedFrom(from);
    return exits.length
      ? `${head} (${from} is terminal; only an operator's requeue to ${exits.join(", ")} leaves it)`
      : `${head} (${from} is terminal)`;
  }
  if (from === to) return `${head} (already ${from}; allowed: ${allowedFrom(from).join(", ")})`;
  return `${head} (allowed: ${allowedFrom(from).join(", ")})`;
}

/** Throws a `StageTransitionError` (code `illegal_transition`) unless `from → to` is legal. */
export function assertTransition(jobId: string, from: Stage, to: Stage): void {
  if (!canTransition(from, to)) throw new StageTransitionError(jobId, from, to);
}

/**
 * Whether a move from `from` to `to` can change what a dispatch pass finds: work entering or leaving the queue,
 * or a lease ending (a seat, and a serial gate, freed). assigned → building, or testing → shipped, changes neither,
 * so it bumps the queue version (every stage change does) without asking for a pass.
 */
export function movesDispatch(from: Stage, to: Stage): boolean {
  if (from === "queued" || to === "queued") return true;
  return LEASED_STAGES.includes(from) && !LEASED_STAGES.includes(to);
}
