/**
 * @module dashboard/answers
 * What each page reads from each 2xx answer it uses, as shapes (answer-shape.js) that api.js checks the answer
 * against before the page sees it. Each holds the fields its page reads, with the types it reads them as, and how it
 * tolerates one missing (`opt`: absent; `maybe`: absent or null) — no field it never reads, no enum of stages or codes:
 * a newer coordinator's extra fields and values still show. test/unit/dashboard-answers-contract.test.ts holds each
 * to the OpenAPI document, so none refuses an answer the coordinator gives. This file holds a job's reads.
 */
import { lazy, maybe, opt, recordOf } from "./answer-shape.js";

// The product-wide reads' shapes (budget, settings, lessons, routing, alerts…) are answers-product.js's, the header's
// and the shared poller's (health, tiles, counts, factories) answers-poller.js's: one module of shapes for every page
// to import, as before the splits.
export * from "./answers-poller.js";
export * from "./answers-product.js";

/** @typedef {import("./answer-shape.js").Shape} Shape */

const str = "string";
const num = "number";
const bool = "boolean";

/**
 * Why a job waits (waiting.js): the board's note reads code, message and since; the job page its detail and its fix
 * (the command that ends the wait, where the message names none: src/core/waiting-fix.ts).
 */
const WAITING = maybe({ code: str, message: str, since: num, detail: maybe("object"), fix: maybe(str) });

/** A job as the board's row draws it (jobs.js `jobRow`, serial.js `frozenBadge`, dom.js `preemptedBadge`). */
const JOB_ROW = {
  id: str,
  title: str,
  stage: str,
  priority: str,
  attempt: num,
  maxAttempts: num,
  holderFactoryId: maybe(str),
  updatedAt: num,
  waitingReason: WAITING,
  preemptedBy: maybe(str),
  preemptedAt: maybe(num),
  serialKey: maybe(str),
};

/** `GET …/jobs?fields=summary`: the board's page of jobs (and the sign-in's check of a token). */
export const JOB_PAGE = { jobs: [JOB_ROW], nextCursor: maybe(str) };

/**
 * `GET …/jobs/{id}`: the job page's title, facts, manifest, waiting
 * panel, action bar and review card (job-detail.js, job-facts.js, actions.js, review.js `update`).
 */
export const JOB = {
  ...JOB_ROW,
  createdAt: num,
  leaseEpoch: num,
  leaseExpiresAt: maybe(num),
  queuedAt: opt(num), // the review round; a job without one sends no round (actions.js)
  notBefore: maybe(num),
  bodyMd: maybe(str),
  checkpoint: maybe({ branch: maybe(str), sha: maybe(str), note: maybe(str), at: maybe(num) }),
  progress: maybe({ pct: opt(num), note: maybe(str) }),
  manifest: maybe({ reviewers: maybe(num) }),
  reviews: maybe([{ reviewer: str, reviewerName: maybe(str), verdict: str, at: num }]),
  lastResult: maybe({ outcome: str, message: maybe(str) }),
  feedback: maybe(str),
  requires: maybe([str]),
  prefers: maybe([str]),
  engine: maybe(str),
  repo: maybe(str),
  budget: opt({ usd: opt(num), wallSeconds: opt(num), tokens: opt(num) }),
  deps: maybe([str]),
  depsMode: maybe(str),
  parentId: maybe(str),
  kind: maybe(str),
};

/**
 * The job an action or a review answers with (POST …/actions/{action}, …/reviews): the job page draws it as it draws
 * JOB, but it carries no waiting reason: the page keeps the one it shows until its next read of the job brings one
 * (waiting.js `reasonShown`).
 */
const { waitingReason: _notSent, ...JOB_WITHOUT_WAITING } = JOB;
export const JOB_ACTED = JOB_WITHOUT_WAITING;

/** `GET …/jobs/{id}` of an ancestor: the action bar reads its stage and its parent (actions.js `cancelledAbove`). */
export const ANCESTOR = { stage: str, parentId: maybe(str) };

/** `GET …/jobs/{id}/runs` (runs.js). */
export const RUNS = {
  runs: [
    {
      attempt: num,
      factoryId: str,
      engine: maybe(str),
      leaseEpoch: num,
      startedAt: num,
      endedAt: maybe(num),
      result: maybe({ outcome: maybe(str), message: maybe(str), rc: opt(num) }),
      insights: maybe({
        tokensIn: opt(num),
        tokensOut: opt(num),
        costUsd: opt(num),
        diffStat: maybe({ files: num, insertions: num, deletions: num }),
      }),
      spend: maybe({ usd: num, tokens: num, unpricedTokens: opt(num), estimatedUsd: opt(num) }),
      linkLostAt: maybe(num),
      lastHeartbeatAt: maybe(num),
    },
  ],
};

/** `GET …/jobs/{id}/artifacts` (artifacts.js). */
export const ARTIFACTS = {
  artifacts: [{ name: str, size: num, contentType: str, sha256: str, createdAt: num }],
  nextCursor: maybe(str),
};

/** `GET …/jobs/{id}/explain` (explain.js, learned.js `trackEvidence`). */
export const EXPLAIN = {
  at: num,
  priority: str,
  urgency: num,
  holderFactoryId: maybe(str),
  routingPolicy: maybe({ experimentId: str, arm: str, as: maybe(str) }),
  ranked: [
    {
      factoryId: str,
      factoryName: str,
      score: num,
      terms: recordOf({ raw: num, weight: num, contribution: num }),
      track: maybe({
        n: num,
        effectiveN: opt(num),
        neutral: maybe(bool),
        jobClass: str,
        engine: str,
        successRate: opt(num),
        ci95: maybe([num]),
        costUsd: opt(num),
      }),
      rules: maybe({ adjustment: num, rules: [{ effect: str, reason: str }] }),
      trial: opt(bool),
    },
  ],
  rejected: [{ factoryId: str, factoryName: str, reasons: [str], disconnectedAt: maybe(num) }],
  exclusions: maybe([{ factoryId: str, kind: str, strikes: num, until: num }]),
};

/** A job of a tree, with its children (dag.js). */
const TREE_NODE = {
  id: str,
  title: str,
  stage: str,
  kind: maybe(str),
  deps: [str],
  children: [lazy(() => TREE_NODE)],
  truncated: maybe(bool),
  waitingReason: maybe({ message: str }),
};

/** `GET …/jobs/{id}/tree` (dag.js). */
export const TREE = { root: TREE_NODE };

/** `GET …/jobs/{id}/reviews` (review.js `render`). */
export const REVIEWS = {
  round: opt(num),
  approvals: num,
  required: num,
  reviews: [{ reviewer: str, reviewerName: str, verdict: str, at: num, counted: maybe(bool), comment: maybe(str) }],
};

/** `POST …/jobs/{id}/reviews`: the card as it now is, and the job (review.js `run`). */
export const REVIEWED = { ...REVIEWS, job: JOB_ACTED };

/** `POST …/jobs/{id}/events/ticket` (feed.js). */
export const TICKET = { ticket: str };
