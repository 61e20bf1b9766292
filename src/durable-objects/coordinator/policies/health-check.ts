/**
 * @module durable-objects/coordinator/policies/health-check
 * HEALTH PASS — contract (issue 9, part 5):
 *   inputs: the product's settings (`health` thresholds), the factories, the jobs, `tx.now`; the work-ready
 *           WebSocket factory ids (for a starving job's waiting reason, coordinator/jobs/waiting).
 *   output: alerts raised or resolved (policies/alerts) — `factory_degraded`/`factory_down` per factory
 *           (core/health heartbeat rule, as the registry reads it), `stuck` per building job with no event for
 *           longer than `stuckAfterMinutes` (its last event: the `job_activity` row, else its last change),
 *           `starving` per queued job waiting longer than `starvingAfterMinutes` (policies/health-starving: since
 *           its wait began — a lost lease does not end a wait — or since its retry's backoff ended; its waiting
 *           reason in the message), `stalled` for the product (core/health `productHealth`); the instant the next
 *           threshold is crossed, kept in meta for the alarm (runtime/alarm).
 *   bound:  at most PER_CHECK rows read per check, so one pass is bounded however large the product; what is
 *           left is taken by the next pass (the cron sweep runs one every minute).
 *   tidy:   activity rows of ended jobs and alerts resolved over 30 days ago are dropped (≤ TIDY_PER_PASS each).
 * Runs from the cron sweep (ProductCoordinator `sweep`) and from the alarm when a threshold is due.
 */

import { counted } from "../../../core/counted.ts";
import { heartbeatHealth, isStuck, nextHeartbeatCrossing, stalledFrom, stuckAt } from "../../../core/health.ts";
import { HEARTBEAT } from "../../../core/lease.ts";
import type { Factory } from "../../../core/model.ts";
import { execute } from "../../sql-statements.ts";
import { listFactories } from "../factories/registry.ts";
import { getSettings } from "../runtime/meta.ts";
import type { Tx } from "../runtime/tx.ts";
import { type AlertInput, clearAlert, liveAlertsOf, raiseAlert } from "./alerts.ts";
import { setNextHealthAt } from "./health-deadline.ts";
import { checkStarving } from "./health-starving.ts";
import { productHealthAt } from "./health-summary.ts";

/** Rows read per check per pass: a pass stays a few ms even on a product with a huge backlog. */
export const PER_CHECK = 100;

const MINUTE = 60_000;
/** Resolved alerts are dropped after 30 days: by then they are history (the audit log and receivers keep it). */
const RESOLVED_KEPT_MS = 30 * 24 * 60 * MINUTE;
/** Bookkeeping rows tidied per pass: bounded like the checks. */
const TIDY_PER_PASS = 500;

/** A building job's last event (ms): its `job_activity` row (alias `a`), else its last change (alias `j`). */
const LAST_EVENT_SQL = "COALESCE(a.at, json_extract(j.doc, '$.updatedAt'))";

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
  const building = tx.sql
    .exec<{ id: string; title: string; holder: string | null; last: number }>(
      // The holder as factories/registry factoryLabel names it, `name (id)`, as the other alerts name a factory.
      `SELECT j.id, json_extract(j.doc, '$.title') AS title, ${LAST_EVENT_SQL} AS last,
              COALESCE(f.name || ' (' || j.holder_factory_id || ')', j.holder_factory_id) AS holder
         FROM jobs j LEFT JOIN job_activity a ON a.job_id = j.id LEFT JOIN factories f ON f.id = j.holder_factory_id
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
    } else due.push(stuckAt(j.last, t.stuckAfterMinutes));
  }
  const stuckRead = new Map(building.map((j) => [`job:${j.id}`, isStuck(j.last, tx.now, t.stuckAfterMinutes)]));
  for (const a of liveAlertsOf(tx.sql, "stuck", PER_CHECK))
    if (!(stuckRead.get(a.subject) ?? stillStuck(tx, a.subject, t.stuckAfterMinutes, building.length))) set(false, a);

  // Starving: queued jobs, those whose clock started first (policies/health-starving), each with its waiting reason.
  checkStarving(tx, t.starvingAfterMinutes, PER_CHECK, wsReady, set, due);

  // Stalled: the product as a whole.
  const h = productHealthAt(tx);
  const stalledAt = stalledFrom({ ...h.inputs, expectedFinishIntervalMinutes: t.expectedFinishIntervalMinutes });
  const stalled = stalledAt !== undefined && tx.now >= stalledAt;
  set(stalled, {
    kind: "stalled",
    severity: "critical",
    subject: "product",
    // The jobs waiting now: those in a retry's backoff are not (yet) part of what is late.
    message: `nothing shipped for ${2 * t.expectedFinishIntervalMinutes} min while ${waitingText(h.view.queued - h.view.inBackoff)}`,
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
  execute(tx.sql, TIDY_ALERTS_SQL, tx.now - RESOLVED_KEPT_MS);
}

/**
 * Alerts resolved before `?1`, at most TIDY_PER_PASS. An alert resolved before `?1` was opened before it (a clock
 * stepped back between the two only delays its drop): the `opened_at` bound makes the read a range of
 * alerts_by_state — on `state` alone it read every resolved alert's document (30 days of them) on every pass, each
 * minute, to find none old enough.
 */
export const TIDY_ALERTS_SQL = `DELETE FROM alerts WHERE id IN (
  SELECT id FROM alerts WHERE state = 'resolved' AND opened_at < ?1 AND json_extract(doc, '$.resolvedAt') < ?1
  LIMIT ${TIDY_PER_PASS})`;

/**
 * A live `stuck` alert whose job was not in this pass's page: it is kept only if the page was full (the job may
 * simply not have been read this time) and the job is still building AND still silent past the threshold; otherwise
 * its condition cleared — the job moved on, or spoke again. "Still building" alone kept the alert of a job that
 * reported progress once a hundred others built: its new activity sorts it out of the page, so it was never read
 * again, and the product stayed `degraded` on a stuck alert until the job left `building`.
 */
function stillStuck(tx: Tx, subject: string, stuckAfterMinutes: number, read: number): boolean {
  if (read < PER_CHECK) return false;
  const row = tx.sql
    .exec<{ last: number }>(
      `SELECT ${LAST_EVENT_SQL} AS last FROM jobs j LEFT JOIN job_activity a ON a.job_id = j.id
        WHERE j.id = ? AND j.stage = 'building'`,
      subject.slice("job:".length),
    )
    .toArray()[0];
  return row !== undefined && isStuck(row.last, tx.now, stuckAfterMinutes);
}

/** "1 job waits", "3 jobs wait": the stalled alert's count of what is late. */
const waitingText = (n: number): string => `${counted(n, "job")} ${n === 1 ? "waits" : "wait"}`;
