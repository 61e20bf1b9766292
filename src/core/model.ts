/**
 * @module core/model
 * The domain vocabulary of Gigafactory: stages, priorities, jobs, factories,
 * leases. Plain data only — no I/O, no runtime imports — so every layer
 * (Durable Objects, Worker, agent, CLI, dashboard) can share it. Why a job
 * waits (its codes and the reason's shape) is core/waiting-reason.
 */

export const STAGES = [
  "queued",
  "blocked",
  "assigned",
  "building",
  "review",
  "testing",
  "shipped",
  "failed",
  "dead_letter",
  "cancelled",
] as const;
export type Stage = (typeof STAGES)[number];

/** Stages a job never leaves. */
export const TERMINAL_STAGES: readonly Stage[] = ["shipped", "dead_letter", "cancelled"];
/** Stages in which a job holds a live lease. */
export const LEASED_STAGES: readonly Stage[] = ["assigned", "building"];

export const PRIORITIES = ["critical", "high", "medium", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

export type DepsMode = "all" | "any";
export type JobKind = "task" | "composite";
/** `left`: it drained and closed its link cleanly, holding nothing (core/departure) — away on purpose, not down. */
export type Health = "ok" | "degraded" | "down" | "left";
export type FactoryStatus = "active" | "draining" | "quarantined" | "revoked";
export type OnReject = "fail" | "requeue";

export interface JobBudget {
  usd?: number;
  wallSeconds?: number;
  tokens?: number;
}

/** The parsed, validated frontmatter of a job manifest (snapshot kept on the job). */
export interface Manifest {
  title: string;
  priority: Priority;
  requires: string[];
  prefers: string[];
  engine?: string;
  repo?: string;
  budget: JobBudget;
  deps: string[];
  depsMode: DepsMode;
  maxAttempts: number;
  serialKey?: string;
  idempotencyKey?: string;
  /** Approvals from distinct reviewers needed before `testing`; 0 = no review gate. */
  reviewers: number;
  onReject: OnReject;
  kind: JobKind;
  parentId?: string;
  /** This job's own lease TTL, s; absent = the product's (core/settings `leaseTtlFor`). */
  leaseTtlSeconds?: number;
  /** Composite parents: whether a child that ends without shipping fails the parent (core/composite). */
  onChildFailure?: "fail" | "continue";
  /** A free label for the job's class (`class: docs`), part of its track-record key (core/track-record `jobClassOf`). */
  class?: string;
  /** Submission only (never stored on the job): children created with the parent in the same unit. */
  children?: ChildManifest[];
}

/** One entry of a `children:` list: deps may name a sibling by `#<index>`; `bodyMd` is the child's body. */
export interface ChildManifest extends Omit<Manifest, "parentId" | "idempotencyKey" | "children"> {
  bodyMd?: string;
}

export interface Checkpoint {
  branch?: string;
  sha?: string;
  note?: string;
  at: number;
}

export interface RunResult {
  rc?: number;
  /**
   * `cancelled`: an operator's cancel (or its cascade). `preempted`: taken for a more urgent job. `handed_back`: its
   * lease went back before it ended, neither the engine's doing nor a cancel — released or rejected by its factory, a
   * push that found the socket gone, a revoked or deregistered factory, an operator's requeue, a reviewer's reject.
   * The three and `fenced` are neutral for breakers and track records; `budget_exceeded` is neutral for breakers, and
   * for track records only when the product's budget stopped the run (`retryable: true`; policies/track-records).
   */
  outcome:
    | "success"
    | "failure"
    | "budget_exceeded"
    | "timeout"
    | "cancelled"
    | "preempted"
    | "handed_back"
    | "fenced"
    | "rate_limited";
  message?: string;
  /** A failure the factory knows retrying cannot fix (bad manifest, missing repo). */
  retryable?: boolean;
  /** `rate_limited` only: how long the engine asked to be left alone, s (opens its breaker that long). */
  retryAfterSeconds?: number;
}

/**
 * A result as a factory reports it (shared/api-work `RunResultBody`): never one the coordinator records itself — its
 * hand-backs, an operator's cancel, a lost lease — as those are neutral for breakers and track records.
 */
export type ReportedResult = RunResult & {
  outcome: Exclude<RunResult["outcome"], "preempted" | "handed_back" | "cancelled" | "fenced">;
};

export interface Insights {
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
  unpricedTokens?: number; // of tokensIn + tokensOut, those no USD came for (core/unpriced); absent: older agents
  baseTokens?: number; // of tokensIn, a resumed run's earlier engines' in + out, split unknown (core/prices); absent: 0
  diffStat?: { files: number; insertions: number; deletions: number };
}

export interface Review {
  /** The authenticated principal's stable id (token id, or "admin"); before core/review, a client-typed name. */
  reviewer: string;
  /** The principal's display name (the token's name). Absent on reviews recorded before principals were. */
  reviewerName?: string;
  verdict: "approve" | "reject";
  comment?: string;
  /** Legacy: the free text older reviews carried (read as the comment), and a client-supplied `reviewer` label. */
  note?: string;
  at: number;
  /**
   * The round it was given in: the job's `queuedAt` then (core/review `reviewRoundOf`). Time alone cannot tell the
   * round of a review written in the millisecond of the requeue that began the next one. Absent on older reviews.
   */
  round?: number;
}

export interface Job {
  id: string;
  productId: string;
  title: string;
  bodyMd: string;
  manifest: Manifest;
  stage: Stage;
  priority: Priority;
  requires: string[];
  prefers: string[];
  engine?: string;
  repo?: string;
  budget: JobBudget;
  deps: string[];
  depsMode: DepsMode;
  parentId?: string;
  kind: JobKind;
  idempotencyKey?: string;
  /** Bumped on every write to the row: optimistic-concurrency version. */
  rev: number;
  /** Bumped on every new lease and every loss of a lease: the fence. */
  leaseEpoch: number;
  checkpoint?: Checkpoint;
  progress?: { pct?: number; note?: string };
  attempt: number;
  maxAttempts: number;
  serialKey?: string;
  holderFactoryId?: string;
  leaseExpiresAt?: number;
  /** The latest its holder's agent runs the engine, hearing nothing more (ms; core/serial-holds `stopsByAfterGrant`). */
  leaseStopsBy?: number;
  lastResult?: RunResult;
  /** Delayed dispatch: a retry is not claimable before this instant. */
  notBefore?: number;
  /** Review verdicts so far (distinct reviewers count towards `manifest.reviewers`). */
  reviews?: Review[];
  /** Legacy, never written nor read (a rejection is an exclusion now: core/exclusions); older documents parse. */
  rejectedBy?: string[];
  /** Reviewer feedback carried into the next attempt after a reject-with-requeue. */
  feedback?: string;
  /** When a `critical` job last evicted this one (ms; core/preemption); cleared by the next assignment. */
  preemptedAt?: number;
  /** The id of the `critical` job that evicted this one; cleared by the next assignment. */
  preemptedBy?: string;
  /** When this `critical` job last evicted another (ms): it evicts no other within the cool-down (core/preemption). */
  lastEvictionAt?: number;
  createdAt: number;
  updatedAt: number;
  /** When the job last entered `queued`: the clock starvation aging reads. */
  queuedAt: number;
  /** When its current wait began, if before `queuedAt`: a lost lease's requeue goes on waiting (jobs/rows). */
  waitingSince?: number;
}

export interface Factory {
  id: string;
  productId: string;
  name: string;
  /** What the router matches on: approved ∩ declared (core/capability-grant). */
  capabilities: string[];
  /** Granted by enrollment or an operator's approval. */
  approvedCapabilities?: string[];
  /** What the factory last declared in hello or heartbeat. */
  declaredCapabilities?: string[];
  /** Declared but not approved: routed on only once an operator approves them. */
  pendingCapabilities?: string[];
  /** Effective seats: min(declared, `seatLimit`). */
  seats: number;
  /** The most seats enrollment (or an operator) allows. */
  seatLimit?: number;
  /** Seats the factory last declared. */
  declaredSeats?: number;
  /** Jobs this factory currently holds a live lease on. */
  load: number;
  health: Health;
  status: FactoryStatus;
  /**
   * Why it is draining or quarantined (`draining by ACTOR`, the automatic quarantine's error rate): kept with the
   * status (coordinator factories/standing) and dropped at its next status move; absent while active.
   */
  statusReason?: string;
  lastHeartbeatAt?: number;
  /** When (ms) its agent drained and closed its link cleanly, holding nothing (core/departure); cleared by a hello. */
  leftAt?: number;
  createdAt: number;
}

export interface Lease {
  jobId: string;
  holderFactoryId: string;
  leaseEpoch: number;
  expiresAt: number;
  status: "active" | "released" | "expired";
}

/** Scoring weights of the router (SPEC §5), tunable per product. */
export interface RouterWeights {
  capabilityFit: number;
  affinity: number;
  load: number;
  costFit: number;
  health: number;
  starvation: number;
  /** The learned term (core/track-term): weighs `raw − 0.5`, so a neutral record adds nothing. */
  track: number;
}
