/**
 * @module dashboard/answers-poller
 * The shapes (answer-shape.js) of what the header and the shared poller (live.js) read on their own clock: the
 * health badge, the tiles, the queue version, the counts by stage and the factories — re-exported by answers.js with
 * the pages' own.
 */
import { either, maybe, opt, recordOf } from "./answer-shape.js";

const str = "string";
const num = "number";

/** `GET …/health`: the header's badge (health-badge.js `healthText`, since when a stalled product is stalled). */
export const HEALTH = {
  status: str,
  openAlerts: { total: num },
  factories: { ok: num, degraded: num, down: num, disconnected: opt(num) },
  lastFinishedAt: maybe(num),
  oldestQueuedAt: maybe(num),
  thresholds: maybe({ expectedFinishIntervalMinutes: num }),
};

/** `GET …/metrics?format=json`: the header's tiles (metrics.js `tilesOf`). */
export const METRICS = {
  queue: { depthByStage: recordOf(num) },
  seats: { busy: num, total: num, utilisation: num, disconnected: opt(num), disconnectedFactories: opt(num) },
  dispatchLatencyMs: { buckets: [{ le: either(num, str), count: num }], count: num },
};

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
