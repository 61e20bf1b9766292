/**
 * @module dashboard/answers-product
 * The shapes of the product-wide pages' answers (answer-shape.js) — budget, settings, lessons, routing, alerts, the
 * serial gates, enrollment codes, dead letters, grants — re-exported by answers.js with a job's and the poller's
 * (answers-poller.js); each holds only the fields its page reads.
 */
import { either, maybe, opt, orNull, recordOf } from "./answer-shape.js";
import { ROUTER_TERMS } from "./router-terms.js";
import { HEALTH_GROUPS } from "./settings-health.js";

const str = "string";
const num = "number";
const bool = "boolean";

/** `GET`/`PUT …/budget` (budget.js `draw`, `chartData`). */
export const BUDGET = {
  spentUsd: num,
  ceilingUsd: num,
  warnAtUsd: num,
  state: str,
  pausedBy: maybe(str),
  exhausted: opt(bool), // absent from older coordinators (budget-next.js)
  period: str,
  periodStart: num,
  periodEnd: num,
  onExhausted: str,
  burndown: [{ at: num, spentUsd: num }],
  unpricedTokens: opt(num), // absent from older coordinators (budget-unpriced.js)
  estimatedUsd: opt(num), // of the spend, charged at settings prices; absent from older coordinators
};

/** `POST …/budget/pause|resume` with no budget set: an operator's pause alone (`budget: null`; budget.js `unset`). */
const UNSET_ACTED = { budget: orNull("object"), pausedBy: maybe(str), changed: bool };

/** `POST …/budget/pause|resume`: the budget, and whether the action changed it; or, with none set, UNSET_ACTED. */
export const BUDGET_ACTED = either({ ...BUDGET, changed: opt(bool) }, UNSET_ACTED);

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
  // engine → its price (prices.js); absent from older coordinators: the editor shows none priced
  prices: opt(recordOf({ usdPerMillionIn: num, usdPerMillionOut: num })),
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

/**
 * `POST …/factories/{id}/release`: whether anything was released (fleet-breakers.js; `changed: false` — active already,
 * released meanwhile — absent from older coordinators).
 */
export const RELEASED = { changed: opt(bool) };

/**
 * `POST …/factories/{id}/breakers/{engine}/reset`: the breaker, closed now, and whether the reset changed it (breaker-
 * reset.js; `changed: false` — closed already, reset meanwhile by another operator or its trial's success).
 */
export const BREAKER_RESET = { engine: str, state: str, changed: bool };
