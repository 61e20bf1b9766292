/**
 * @module dashboard/answers
 * What each page reads from each 2xx answer it uses, as shapes (answer-shape.js) that api.js checks the answer
 * against before the page sees it. Each holds the fields its page reads, with the types it reads them as, and how it
 * tolerates one missing (`opt`: absent; `maybe`: absent or null) — no field it never reads, no enum of stages or codes:
 * a newer coordinator's extra fields and values still show. test/unit/dashboard-answers-contract.test.ts holds each
 * to the OpenAPI document, so none refuses an answer the coordinator gives.
 */
import { either, lazy, maybe, opt, orNull, recordOf } from "./answer-shape.js";
import { ROUTER_TERMS } from "./router-terms.js";
import { HEALTH_GROUPS } from "./settings-health.js";

/** @typedef {import("./answer-shape.js").Shape} Shape */

const str = "string";
const num = "number";
const bool = "boolean";

/** Why a job waits (waiting.js): the board's note reads code, message and since; the job page its detail. */
const WAITING = maybe({ code: str, message: str, since: num, detail: maybe("object") });

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
      spend: maybe({ usd: num, tokens: num }),
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
    },
  ],
  rejected: [{ factoryName: str, reasons: [str] }],
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

/** `GET`/`PUT …/budget` (budget.js `draw`, `chartData`). */
export const BUDGET = {
  spentUsd: num,
  ceilingUsd: num,
  warnAtUsd: num,
  state: str,
  pausedBy: maybe(str),
  period: str,
  periodStart: num,
  periodEnd: num,
  onExhausted: str,
  burndown: [{ at: num, spentUsd: num }],
};

/** `POST …/budget/pause|resume`: the budget, and whether the action changed it. */
export const BUDGET_ACTED = { ...BUDGET, changed: opt(bool) };

/**
 * The number settings the form shows, at their paths ("retry.jitter"), as one nested shape: settings.js FIELDS are
 * these (the contract test holds them equal). @param {string[]} paths @returns {Record<string, any>}
 */
function numbersAt(paths) {
  /** @type {Record<string, any>} */
  const shape = {};
  for (const path of paths) {
    const [head, leaf] = /** @type {[string, string | undefined]} */ (path.split("."));
    if (leaf === undefined) shape[head] = num;
    else shape[head] = { ...(shape[head] ?? {}), [leaf]: num };
  }
  return shape;
}

/** The paths of every number box of the settings form (settings.js FIELDS). */
export const SETTINGS_NUMBERS = [
  "leaseTtlSeconds",
  "agingHorizonMinutes",
  "retry.baseSeconds",
  "retry.maxSeconds",
  "retry.jitter",
  ...ROUTER_TERMS.map((t) => `weights.${t.term}`),
  ...HEALTH_GROUPS.flatMap((g) => g.fields.map((f) => f.path)),
];

const numbers = numbersAt(SETTINGS_NUMBERS);

/** `GET`/`PATCH …/settings` (settings.js `fill`): a box showing "undefined" (blank) is not a setting. */
export const SETTINGS = {
  ...numbers,
  preemption: bool,
  overflow: maybe(str),
  routing: { ...numbers.routing, objective: maybe(str) },
  frozenSerialKeys: maybe([str]),
  budgetPaused: maybe(bool),
  aging: maybe({ holds: bool, message: str }),
};

/** `GET …/settings` read by the serial panel for every frozen key (serial.js). */
export const FROZEN_KEYS = { frozenSerialKeys: [str] };

/** A lesson as its row draws it (lessons.js `row`). */
const LESSON = {
  id: str,
  text: str,
  source: str,
  createdBy: str,
  trigger: maybe(str),
  capabilities: [str],
  engine: maybe(str),
  serialKey: maybe(str),
  count: num,
  updatedAt: num,
};

/** `GET …/lessons` (lessons.js). */
export const LESSON_PAGE = { items: [LESSON], nextCursor: maybe(str) };
/** `POST …/lessons`: the lesson added, listed at once. */
export const LESSON_ADDED = LESSON;

/** An answer the page reads `changed` of, and nothing else (an archive, a freeze, an experiment's stop). */
export const CHANGED = { changed: opt(bool) };

/** `GET …/routing/recommendations` (routing.js `drawRecs`). */
export const RECOMMENDATIONS = {
  recommendations: [{ id: str, kind: str, message: str, appliedAs: maybe(str), rule: { effect: str, factoryId: str } }],
};

/** `GET …/routing/rules` (routing.js `drawRules`). */
export const RULES = {
  rules: [
    {
      id: str,
      effect: str,
      factoryId: str,
      engine: maybe(str),
      jobClass: maybe(str),
      reason: str,
      createdBy: str,
      createdAt: num,
    },
  ],
};

const ARM = { policy: "any", n: num, successRate: orNull(num), meanCostUsd: orNull(num) };
const POINT = { n: num, successes: num };

/** `GET …/routing/experiments` (routing-experiments.js, learned.js `armColumns`, `decisionText`). */
export const EXPERIMENTS = {
  experiments: [
    {
      id: str,
      jobClass: str,
      status: str,
      split: num,
      guardrail: { metric: str, margin: num, confidence: num },
      looks: num,
      arms: { A: ARM, B: ARM },
      decision: maybe({ by: str, winner: maybe(str), reason: str }),
      series: [{ at: num, A: POINT, B: POINT }],
    },
  ],
};

/** `GET …/routing/track-records` (fleet-track.js, learned.js `trackLines`). */
export const TRACK_RECORDS = {
  records: [
    {
      factoryId: str,
      engine: str,
      jobClass: str,
      record: {
        successes: maybe(num),
        failures: maybe(num),
        n: maybe(num),
        costUsd: maybe({ w: num, mean: num }),
        updatedAt: maybe(num),
      },
    },
  ],
};

/** `GET …/alerts` (alerts.js). */
export const ALERT_PAGE = {
  alerts: [
    {
      id: str,
      kind: str,
      subject: str,
      severity: str,
      state: str,
      message: str,
      openedAt: num,
      acknowledgedBy: maybe(str),
    },
  ],
  nextCursor: maybe(str),
};

/** `GET …/health`: the header's badge (health-badge.js `healthText`, since when a stalled product is stalled). */
export const HEALTH = {
  status: str,
  openAlerts: { total: num },
  factories: { ok: num, degraded: num, down: num },
  lastFinishedAt: maybe(num),
  oldestQueuedAt: maybe(num),
  thresholds: maybe({ expectedFinishIntervalMinutes: num }),
};

/** `GET …/metrics?format=json`: the header's tiles (metrics.js `tilesOf`). */
export const METRICS = {
  queue: { depthByStage: recordOf(num) },
  seats: { busy: num, total: num, utilisation: num },
  dispatchLatencyMs: { buckets: [{ le: either(num, str), count: num }], count: num },
};

/** `GET …/serial` (serial.js `row`, `holderCell`, `nextCell`). */
export const SERIAL_PAGE = {
  keys: [
    {
      key: str,
      holder: maybe(str),
      stopping: maybe({ jobId: str, factoryId: str, until: num }),
      queue: [str],
      next: maybe(str),
      nextDueAt: maybe(num),
      queueLength: num,
      frozen: maybe({ by: str, reason: str, at: num }),
    },
  ],
  nextCursor: maybe(str),
};

/** `GET …/factories/enrollment-codes` (enrollment-codes.js `row`). */
export const CODES = {
  codes: [{ id: str, mintedBy: maybe(str), createdAt: num, expiresAt: num, name: opt(str), seats: opt(num) }],
};

/** `POST …/factories/enrollment-codes`: the code, shown once (enrollment-code-new.js). */
export const CODE_MINTED = { id: str, code: str, expiresAt: num, name: maybe(str), seats: opt(num) };

/** `DELETE …/factories/enrollment-codes/{id}` (enrollment-codes.js `revoke`). */
export const CODE_REVOKED = { changed: bool, state: str };

/** `GET …/queue-state`: the shared poller's clock (live.js). */
export const QUEUE_STATE = { version: num };

/** `GET …/stats`: the header's and the board's counts by stage (live.js `loadCounts`). */
export const STATS = { counts: recordOf(num) };

/** A factory as the poller keeps it: names for every page, and the fleet page's cards (fleet.js, fleet-breakers.js). */
const FACTORY = {
  id: str,
  name: str,
  status: str,
  health: str,
  seats: num,
  load: num,
  lastHeartbeatAt: maybe(num),
  leftAt: maybe(num),
  capabilities: [str],
  breakers: maybe([{ engine: str, state: str, consecutiveFailures: num, openUntil: maybe(num) }]),
};

/** `GET …/factories` (live.js `loadFactories`). */
export const FACTORIES = { factories: [FACTORY] };

/** `GET …/dead-letters`: the Dead letters page's rows (dead-letters.js `row`) and its paging. */
export const DEAD_LETTER_PAGE = {
  items: [{ id: str, source: str, reason: str, body: "any", attempts: num, at: num }],
  nextCursor: opt(str),
  partial: opt(bool),
};

/** `POST …/dead-letters/{id}/redrive`: which queue the message went back to (dead-letters.js `redrive`). */
export const REDRIVEN = { queue: str, redriven: bool };

/** `POST …/factories/{id}/capabilities/approve`: the grant the card says it has now (fleet-grants.js `grantAnswerText`). */
export const GRANTED = { capabilities: [str], seatLimit: opt(num), changed: bool };
