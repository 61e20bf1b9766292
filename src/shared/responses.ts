/**
 * @module shared/responses
 * The shapes the API answers with, beyond the domain `Job` and `Factory`: one
 * definition used by the coordinator that builds them and by every client
 * (CLI, agent, dashboard tests) that reads them.
 */
import type { Exclusion } from "../core/exclusions.ts";
import type { PolicySource } from "../core/experiment.ts";
import type { Insights, Job, RouterWeights, RunResult, Stage } from "../core/model.ts";
import type { PreemptionSkip } from "../core/preemption.ts";
import type { Candidate } from "../core/router.ts";
import type { WaitingReason } from "../core/waiting-reason.ts";

/** A live lease as a factory sees it. */
export interface Lease {
  jobId: string;
  leaseEpoch: number;
  expiresAt: number;
  ttlSeconds: number;
}

/** One attempt of a job by one factory under one lease epoch. */
export interface Run {
  jobId: string;
  attempt: number;
  factoryId: string;
  leaseEpoch: number;
  engine?: string;
  startedAt: number;
  endedAt?: number;
  result?: RunResult;
  insights?: Insights;
  /**
   * What the job's budget was charged for this run so far: the highest cumulative USD and tokens (in + out) it
   * reported (policies/run-spend), also while it runs — `insights` arrive only when it ends. Absent before any report.
   */
  // Of the tokens, those no USD came for; the USD charged for them at settings prices, on top of `usd`.
  spend?: { usd: number; tokens: number; unpricedTokens?: number; estimatedUsd?: number };
  /**
   * A run a lease expiry ended (`timeout`, "lease expired"): when its factory's link to the coordinator was seen to
   * end during the run (ms) — the host crashed or its network was cut, not the job's time limit. Absent when the
   * link stayed up (an agent paused, a host asleep) or came back, its end was not seen (lost with a coordinator
   * restart), or the factory beat after it (over HTTP: it was up, so the lost link is not why the lease lapsed).
   */
  linkLostAt?: number;
  /**
   * A run a lease expiry ended: its factory's last heartbeat before the expiry (ms) — long before it, the host went
   * silent (paused, hung, asleep, cut off); just before it, the host was up but its agent did not renew. Said with
   * or without `linkLostAt`; absent when the factory never beat or is gone (deregistered).
   */
  lastHeartbeatAt?: number;
}

export type TokenRole = "operator" | "viewer";

export interface TokenInfo {
  id: string;
  role: TokenRole;
  name: string;
  createdAt: number;
  revokedAt?: number;
}

/**
 * An enrollment code that can still be exchanged, as `GET …/factories/enrollment-codes` lists it: never the code
 * (only its hash is stored). Times are ms epoch; `mintedBy` is the minting actor, absent for codes minted before it
 * was recorded; `name`/`seats` are what the code binds.
 */
export interface EnrollmentCodeListed {
  id: string;
  createdAt: number;
  expiresAt: number;
  mintedBy?: string;
  name?: string;
  seats?: number;
}

/**
 * `DELETE …/factories/enrollment-codes/{id}`: `changed` is true when this call revoked a live code; false when it
 * was already `revoked`, `used` or `expired` — `state` says which (what it is now).
 */
export interface EnrollmentCodeRevoked {
  id: string;
  changed: boolean;
  state: "revoked" | "used" | "expired";
}

/**
 * What every job the API answers with carries beyond its stored document, computed on read (core/waiting):
 * why it waits, null only while it runs or once it is terminal.
 */
export interface JobOnRead {
  waitingReason: WaitingReason | null;
}

/** A job as `GET …/jobs/{id}` answers it. */
export type JobView = Job & JobOnRead;

/** A job as list views show it: the whole document but its markdown body (`GET …/jobs/{id}` has that). */
export type JobSummary = Omit<JobView, "bodyMd">;

/** `GET …/jobs`: summaries by default, whole jobs with `?fields=full`. */
export interface JobPage<J = JobSummary> {
  jobs: J[];
  nextCursor?: string;
}

/**
 * A factory the router refused for the job. Refused `factory_disconnected` (its link ended while its heartbeats say
 * up): `disconnectedAt`, when the link ended, ms epoch — the fleet view's (core/factory-link); null when no end was
 * seen (lost with a coordinator restart).
 */
export type RejectedCandidate = Candidate & { disconnectedAt?: number | null };

/** `GET …/jobs/{id}/explain`: the router's decision for this job, term by term. */
export interface Explanation {
  jobId: string;
  stage: Stage;
  priority: Job["priority"];
  at: number;
  weights: RouterWeights;
  urgency: number;
  holderFactoryId: string | null;
  ranked: Candidate[];
  rejected: RejectedCandidate[];
  /**
   * Every factory that lost this job's lease and is remembered for it: kind of the latest loss, strikes, and
   * `until` (ms) — in force while `until > at`, then only counting towards the next backoff.
   */
  exclusions: Exclusion[];
  /** Why the job waits at `at` (core/waiting), null while it runs or once terminal. */
  waitingReason: WaitingReason | null;
  /** Preemption (core/preemption): whether this job was evicted, and whom it would evict now. */
  preemption: PreemptionView;
  /** The guarded experiment whose policy ranks this job (core/experiment), if any; `weights` already include it. */
  routingPolicy: PolicySource | null;
}

/** The preemption part of an explanation. */
export interface PreemptionView {
  /** When a critical job last evicted this one (ms), since its last assignment; else null. */
  preemptedAt: number | null;
  /** The id of the critical job that evicted it; else null. */
  preemptedBy: string | null;
  /** A queued critical job that fits no free seat: the running job it would evict now and where; else null. */
  wouldPreempt: { victimId: string; victimPriority: Job["priority"]; factoryId: string } | null;
  /** Why it would not (`disabled`, `not_critical`, `free_seat_fits`, `no_eligible_victim`…); null when it would. */
  notBecause: PreemptionSkip | null;
}

/**
 * One node of `GET …/jobs/{id}/tree` (a composite job and its children, recursively). `truncated` is set on a
 * node whose children were cut off by the tree's bounds (coordinator/dag/tree: depth and node count) — read that
 * node's own tree for the rest.
 */
export interface TreeNode {
  id: string;
  title: string;
  stage: Stage;
  kind: Job["kind"];
  priority: Job["priority"];
  deps: string[];
  waitingReason: WaitingReason | null;
  children: TreeNode[];
  truncated?: boolean;
}

/** One circuit breaker of a factory as `GET …/factories` lists it (issue 9; engine `*` = the factory's default). */
export interface FactoryBreaker {
  engine: string;
  state: "closed" | "open" | "half_open";
  consecutiveFailures: number;
  /** When an open breaker goes half-open, ms epoch (open only). */
  openUntil?: number;
}

/** A factory as the API lists it: with its breakers (those not plainly closed with no failures) and its link. */
export type FactoryWithBreakers = import("../core/model.ts").Factory &
  import("../core/factory-link.ts").FactoryLinkView & { breakers?: FactoryBreaker[] };
