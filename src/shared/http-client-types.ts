/**
 * @module shared/http-client-types
 * The types the REST client's methods name: its options, submissions, queries, enrolments and dead letters.
 * The server's wire types are re-exported here as types only. Kept apart from shared/http-client (which
 * re-exports all of it) so that module holds the endpoints alone.
 */
import type { Factory, Job } from "../core/model.ts";
import type { ReviewsView } from "../core/review.ts";
import type { Candidate } from "../core/router.ts";
import type { SerialGate } from "../core/serial-gates.ts";
import type { JOB_ACTIONS } from "./api.ts";
import type { Backoff } from "./http-transport.ts";
import type { JobEvent } from "./protocol.ts";
import type {
  EnrollmentCodeListed,
  EnrollmentCodeRevoked,
  Explanation,
  FactoryBreaker,
  FactoryWithBreakers,
  JobPage,
  Lease,
  Run,
  TokenInfo,
  TreeNode,
} from "./responses.ts";

export type {
  Candidate,
  EnrollmentCodeListed,
  EnrollmentCodeRevoked,
  Explanation,
  Factory,
  FactoryBreaker,
  FactoryWithBreakers,
  Job,
  JobEvent,
  JobPage,
  Lease,
  ReviewsView,
  Run,
  SerialGate,
  TokenInfo,
  TreeNode,
};
export type JobAction = (typeof JOB_ACTIONS)[number];
export type SubmitInput = { markdown: string } | { manifest: Record<string, unknown>; bodyMd?: string };
/**
 * `cursor`: a page's `nextCursor` — the browse's next page (time order) while it had `more`, else what reached D1
 * since (arrival order: a late row, or a run again when it ends, once each); `since`: ms epoch, inclusive.
 */
export type HistoryQuery = {
  kind?: "snapshots" | "runs" | "audit";
  jobId?: string;
  since?: number;
  cursor?: string;
  limit?: number;
};
/** A page of `GET …/history`: pass `nextCursor` back as `cursor`; `more` when rows past it existed. */
export type HistoryPage = { kind: string; items: Array<Record<string, unknown>>; nextCursor?: string; more: boolean };
/** `resumed`: a re-issue for an enrollment whose first answer was lost (coordinator access/enrollment-resume). */
export type Enrolled = { factoryId: string; token: string; factory: Factory; resumed?: true };
/** A product as `GET /api/v1/products` lists it; `createdAt` in ms since the epoch. */
export type ProductInfo = { id: string; createdAt: number };

/** One dead letter as GET …/dead-letters lists it. */
export interface DeadLetterView {
  id: string;
  productId: string;
  /** `outbox:<kind>` (the coordinator gave up delivering a record), `queue:<kind>`, `batch:…`, `tracker:…`. */
  source: string;
  reason: string;
  body: unknown;
  attempts: number;
  /** ms since the epoch */
  at: number;
}

/** `POST …/dead-letters/{id}/redrive`: its message is back on `queue`, and the dead letter is deleted. */
export interface DeadLetterRedriven {
  id: string;
  source: string;
  queue: "history" | "webhook" | "dispatch";
  redriven: true;
}

/** Whether a redrive would send a dead letter back now (and to which queue), or what it would refuse with (409). */
export type DeadLetterRedriveVerdict =
  | { possible: true; queue: "history" | "webhook" | "dispatch" }
  | { possible: false; code: string; detail: string };

/**
 * `GET …/dead-letters/{id}`: one dead letter as listed, with the stores that hold it (`heldBy`), what a redrive would
 * do now (`redrive`), and `partial` when D1 could not be read (the coordinator's copy answered; D1 may hold one too).
 */
export interface DeadLetterDetail extends DeadLetterView {
  heldBy: Array<"d1" | "coordinator">;
  redrive: DeadLetterRedriveVerdict;
  partial?: true;
}

/** A page of GET …/dead-letters: `nextCursor` when older ones follow; `partial` when D1 could not be read. */
export type DeadLetterPage = { items: DeadLetterView[]; nextCursor?: string; partial?: true };

export interface ClientOptions {
  /** The coordinator's origin, e.g. `https://gf.example.com` (a trailing `/` is fine). */
  url: string;
  token: string;
  product: string;
  /** Retry connection failures with this backoff; absent = fail on the first one. */
  retry?: Backoff;
  /** Injected for tests and for runtimes with their own fetch. */
  fetch?: typeof fetch;
  /**
   * Milliseconds each answer has to START (its status and headers) before the exchange is abandoned with a
   * `ResponseTimeoutError`; a body that then streams (a job feed, an artifact) is not bounded. Absent or 0: no limit.
   */
  responseTimeoutMs?: number;
  /**
   * Bytes a 2xx answer read whole (not a stream) may hold before the exchange is abandoned with a `BadAnswerError`;
   * absent: shared/http-answer-body MAX_ANSWER_BYTES (128 MiB), which no coordinator answer comes near.
   */
  maxAnswerBytes?: number;
}

/** A page of `GET …/jobs/{id}/artifacts`: artifacts in name order, and `nextCursor` (the last name) when more follow. */
export interface ArtifactPage {
  artifacts: ArtifactView[];
  nextCursor?: string;
}

/** One artifact as `GET …/jobs/{id}/artifacts` lists it (its storage key is not shown). */
export interface ArtifactView {
  jobId: string;
  name: string;
  /** Bytes. */
  size: number;
  contentType: string;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  /** ms since the epoch. */
  createdAt: number;
  /** Who uploaded it: the factory holding the lease (`factory:<id>`) or an operator's principal. */
  uploadedBy: string;
}

/**
 * A download that continues bytes already held (`GigafactoryClient.downloadArtifact`): the bytes from `from` (the count
 * held) on, of the version whose ETag (as the server sent it, quotes included) is `etag` — never another version's
 * bytes spliced onto them.
 */
export interface ArtifactResume {
  from: number;
  etag: string;
}
