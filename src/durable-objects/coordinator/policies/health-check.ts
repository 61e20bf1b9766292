/**
 * @module durable-objects/coordinator/policies/health-check
 * HEALTH PASS — contract (issue 9, part 5):
 *   inputs: the product's settings (`health` thresholds), the factories, the jobs, `tx.now`; the work-ready
 *           WebSocket factory ids (for a starving job's waiting reason, coordinator/jobs/waiting).
 *   output: alerts raised or resolved (policies/alerts) — `factory_degraded`/`factory_down` per factory
 *           (core/health heartbeat rule, as the registry reads it), `stuck` per building job with no event for
 *           longer than `stuckAfterMinutes` (its last event: the `job_activity` row, else its last change),
 *           `starving` per queued job waiting longer than `starvingAfterMinutes` since its wait began (a lost lease
 *           does not end a wait: jobs/rows `waitingSinceOf`; a retry's wait starts when its backoff ends: `starvingFrom`; its
 *           waiting reason in the message), `stalled` for the product (core/health `productHealth`); the instant the next threshold is
 *           crossed, kept in meta for the alarm (runtime/alarm).
 *   bound:  at most PER_CHECK rows read per check, so one pass is bounded however large the product; what is
 *           left is taken by the next pass (the cron sweep runs one every minute).
 *   tidy:   activity rows of ended jobs and alerts resolved over 30 days ago are dropped (≤ TIDY_PER_PASS each).
 * Runs from the cron sweep (ProductCoordinator `sweep`) and from the alarm when a threshold is due.
 */
import { heartbeatHealth, isStarving, isStuck, nextHeartbeatCrossing, stalledFrom } from "../../../core/health.ts";
import { HEARTBEAT } from "../../../core/lease.ts";
import { dueAt } from "../../../core/metrics.ts";
import type { Factory, Job } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { listFactories } from "../factories/registry.ts";
import { waitingSinceOf } from "../jobs/rows.ts";
import { fleetSnapshot, waitingReasonFor } from "../jobs/waiting.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { type AlertInput, clearAlert, liveAlertsOf, raiseAlert } from "./alerts.ts";
import { setNextHealthAt } from "./health-deadline.ts";
import { productHealthAt } from "./health-summary.ts";

/** Rows read per check per pass: a pass stays a few ms even on a product with a huge backlog. */
export const PER_CHECK = 100;

const MINUTE = 60_000;
/** Resolved alerts are dropped after 30 days: by then they are history (the audit log and receivers keep it). */
const RESOLVED_KEPT_MS = 30 * 24 * 60 * MINUTE;
/** Bookkeeping rows tidied per pass: bounded like the checks. */
const TIDY_PER_PASS = 500;

export { healthDue, nextHealthAt } from "./health-deadline.ts";

export interface HealthPassResult {
  /** Conditions found holding this pass (each one's alert raised or refreshed). */
  holding: number;
  /** Conditions checked (held or found clear). */
  checked: number;
  /** The next threshold instant ahead (ms), if any. */
  nextAt?: number;
}

export function runHealthPass(tx: Tx, wsReady: ReadonlySet<string>): HealthPassResult {
  const t = getSettings(tx.sql).health;
  const due: number[] = [];
  const r = { holding: 0, checked: 0 };
  const set = (on: boolean, input: AlertInput) => {
    r.checked += 1;
    if (on) {
      raiseAlert(tx, input);
      r.holding += 1;
    } else clearAlert(tx, input.kind, input.subject);
  };

  checkFactories(tx, set, due);

  // Stuck: building jobs, oldest activity first.
  const stuckMs = t.stuckAfterMinutes * MINUTE;
  const building = tx.sql
    .exec<{ id: string; title: string; holder: string | null; last: number }>(
      `SELECT j.id, json_extract(j.doc, '$.title') AS title, j.holder_factory_id AS holder,
              COALESCE(a.at, json_extract(j.doc, '$.updatedAt')) AS last
         FROM jobs j LEFT JOIN job_activity a ON a.job_id = j.id
        WHERE j.stage = 'building' ORDER BY last LIMIT ${PER_CHECK}`,
    )
    .toArray();
  for (const j of building) {
    const stuck = isStuck(j.last, tx.now, t.stuckAfterMinutes);
    if (stuck) {
      const min = Math.floor((tx.now - j.last) / MINUTE);
      set(true, {
        kind: "stuck",
        severity: "warning",
        subject: `job:${j.id}`,
        message: `job ${j.id} (${j.title}) is building with no event for ${min} min (threshold ${t.stuckAfterMinutes} min) on factory ${j.holder ?? "?"}`,
      });
    } else due.push(j.last + stuckMs + 1);
  }
  const stuckRead = new Map(building.map((j) => [`job:${j.id}`, isStuck(j.last, tx.now, t.stuckAfterMinutes)]));
  for (const a of liveAlertsOf(tx.sql, "stuck", PER_CHECK))
    if (!(stuckRead.get(a.subject) ?? stillBuilding(tx, a.subject, building.length))) set(false, a);

  // Starving: queued jobs, longest waiting first (since their wait began: jobs/rows), each with its waiting reason.
  const queued = longestWaiting(tx);
  const starves = (j: Job) => isStarving(starvingFrom(j), tx.now, t.starvingAfterMinutes);
  const starvingRead = new Map(queued.map((j) => [`job:${j.id}`, starves(j)]));
  const snap = queued.some(starves) ? fleetSnapshot(tx, wsReady) : undefined;
  for (const j of queued) {
    if (!snap || !starves(j)) {
      due.push(starvingFrom(j) + t.starvingAfterMinutes * MINUTE + 1);
      continue;
    }
    const why = waitingReasonFor(tx, j, snap);
    const min = Math.floor((tx.now - starvingFrom(j)) / MINUTE);
    set(true, {
      kind: "starving",
      severity: "warning",
      subject: `job:${j.id}`,
      message: `job ${j.id} (${j.title}) has waited ${min} min (threshold ${t.starvingAfterMinutes} min): ${why ? `${why.code}: ${why.message}` : "no reason known"}`,
    });
  }
  for (const a of liveAlertsOf(tx.sql, "starving", PER_CHECK))
    if (!(starvingRead.get(a.subject) ?? stillStarving(tx, a.subject, t.starvingAfterMinutes, queued.length)))
      set(false, a);

  // Stalled: the product as a whole.
  const h = productHealthAt(tx);
  const stalledAt = stalledFrom({ ...h.inputs, expectedFinishIntervalMinutes: t.expectedFinishIntervalMinutes });
  const stalled = stalledAt !== undefined && tx.now >= stalledAt;
  set(stalled, {
    kind: "stalled",
    severity: "critical",
    subject: "product",
    message: `nothing finished for ${2 * t.expectedFinishIntervalMinutes} min while ${h.queued} job(s) wait`,
  });
  if (stalledAt !== undefined && !stalled) due.push(stalledAt);

  tidy(tx);
  const nextAt = due.length > 0 ? Math.min(...due) : undefined;
  setNextHealthAt(tx.sql, nextAt);
  return { ...r, nextAt };
}

const FACTORY_KINDS = ["factory_down", "factory_degraded"] as const;

/**
 * Factories: the registry's health (heartbeats and lease expiries); never-seen and revoked ones are not alerted on,
 * nor one that left (drained and closed cleanly, holding nothing: core/departure) — its alerts are resolved.
 * At most PER_CHECK are checked a pass, those whose alert changes first (a new condition, or one that cleared), then
 * the rest by name (a standing alert's message refreshed): in name order alone, a factory past the first PER_CHECK
 * was never checked, its `factory_down` never raised — or, once raised, never resolved.
 */
function checkFactories(tx: Tx, set: (on: boolean, input: AlertInput) => void, due: number[]): void {
  const seen = listFactories(tx.sql, tx.now).filter((f) => f.status !== "revoked" && f.lastHeartbeatAt !== undefined);
  const live = new Map<string, Set<string>>();
  for (const kind of FACTORY_KINDS)
    for (const a of liveAlertsOf(tx.sql, kind, seen.length + PER_CHECK))
      live.set(a.subject, (live.get(a.subject) ?? new Set<string>()).add(kind));
  const changes = (f: Factory) => {
    const has = live.get(`factory:${f.id}`) ?? new Set<string>();
    const want = f.health === "down" ? "factory_down" : f.health === "degraded" ? "factory_degraded" : undefined;
    return want === undefined ? has.size > 0 : !has.has(want) || has.size > 1;
  };
  for (const f of [...seen.filter(changes), ...seen.filter((f) => !changes(f))].slice(0, PER_CHECK)) {
    const subject = `factory:${f.id}`;
    const silentS = Math.round((tx.now - (f.lastHeartbeatAt ?? tx.now)) / 1000);
    set(f.health === "down", {
      kind: "factory_down",
      severity: "critical",
      subject,
      message: `factory ${f.name} is down: no heartbeat for ${silentS} s`,
    });
    // Degraded with current heartbeats means leases let expire again and again (core/lease `factoryHealth`).
    const beating = heartbeatHealth(f.lastHeartbeatAt, tx.now, HEARTBEAT.intervalMs) === "ok";
    set(f.health === "degraded", {
      kind: "factory_degraded",
      severity: "warning",
      subject,
      message: `factory ${f.name} is degraded: ${beating ? "it let leases expire again and again" : `no heartbeat for ${silentS} s`}`,
    });
  }
  // Every factory's next crossing, checked this pass or not: the alarm comes for it.
  for (const f of seen) {
    if (f.health === "left") continue; // stopped on purpose (core/departure): no threshold of its silence is due
    const next = nextHeartbeatCrossing(f.lastHeartbeatAt ?? tx.now, tx.now, HEARTBEAT.intervalMs);
    if (next !== undefined) due.push(next);
  }
  const ids = new Set(seen.map((f) => `factory:${f.id}`));
  for (const kind of FACTORY_KINDS)
    for (const a of liveAlertsOf(tx.sql, kind, PER_CHECK)) if (!ids.has(a.subject)) set(false, a);
}

/** Drops activity rows of jobs that ended or were pruned, and long-resolved alerts; at most TIDY_PER_PASS of each. */
function tidy(tx: Tx): void {
  execute(
    tx.sql,
    `DELETE FROM job_activity WHERE job_id IN (
       SELECT a.job_id FROM job_activity a LEFT JOIN jobs j ON j.id = a.job_id
        WHERE j.id IS NULL OR j.stage IN ('shipped', 'dead_letter', 'cancelled') LIMIT ${TIDY_PER_PASS})`,
  );
  execute(
    tx.sql,
    `DELETE FROM alerts WHERE id IN (
       SELECT id FROM alerts WHERE state = 'resolved' AND json_extract(doc, '$.resolvedAt') < ? LIMIT ${TIDY_PER_PASS})`,
    tx.now - RESOLVED_KEPT_MS,
  );
}

/**
 * A live `stuck` (or `starving`) alert whose job was not in this pass's page: it is kept only if the page was full
 * (the job may simply not have been read this time) and the job is still building (queued and old); otherwise its
 * condition cleared — the job moved on.
 */
function stillBuilding(tx: Tx, subject: string, read: number): boolean {
  if (read < PER_CHECK) return false;
  const id = subject.slice("job:".length);
  return tx.sql.exec("SELECT 1 FROM jobs WHERE id = ? AND stage = 'building'", id).toArray().length > 0;
}

/**
 * When a queued job's starving clock starts: when its wait began (jobs/rows `waitingSinceOf`) — but a job queued
 * again after a failure of its own may not run before its retry backoff ends (`notBefore`, up to a week): waiting
 * out its backoff is not waiting for a factory, so it is measured from then (core/metrics `dueAt`, as dispatch
 * latency is). A requeue that did not end the wait (a lost lease, a rate limit) keeps measuring from its beginning.
 */
function starvingFrom(j: Job): number {
  return j.waitingSince ?? dueAt(j.queuedAt, j.notBefore);
}

function stillStarving(tx: Tx, subject: string, afterMinutes: number, read: number): boolean {
  if (read < PER_CHECK) return false;
  const id = subject.slice("job:".length);
  const row = tx.sql
    .exec<{ q: number }>(
      `SELECT COALESCE(waiting_since, MAX(queued_at, COALESCE(json_extract(doc, '$.notBefore'), queued_at))) AS q
         FROM jobs WHERE id = ? AND stage = 'queued'`,
      id,
    )
    .toArray()[0];
  return row !== undefined && isStarving(row.q, tx.now, afterMinutes);
}

/**
 * The PER_CHECK queued jobs that have waited longest, by when their wait began (jobs/rows `waitingSinceOf`): the
 * oldest by `queued_at`, merged with the oldest requeued without ending their wait (their own partial index, a few
 * rows). Exact: a job among the PER_CHECK longest waiting is among the PER_CHECK first of its own kind's order.
 */
function longestWaiting(tx: Tx): Job[] {
  const page = (query: string) => tx.sql.exec<{ doc: string }>(query).toArray();
  const rows = [
    ...page(`SELECT doc FROM jobs WHERE stage = 'queued' ORDER BY queued_at, id LIMIT ${PER_CHECK}`),
    ...page(`SELECT doc FROM jobs INDEXED BY jobs_waiting_since WHERE waiting_since IS NOT NULL AND stage = 'queued'
              ORDER BY waiting_since, id LIMIT ${PER_CHECK}`),
  ];
  const byId = new Map(rows.map((r) => JSON.parse(r.doc) as Job).map((j) => [j.id, j]));
  return [...byId.values()]
    .sort((a, b) => waitingSinceOf(a) - waitingSinceOf(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, PER_CHECK);
}
