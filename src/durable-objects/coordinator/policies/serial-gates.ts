/**
 * @module durable-objects/coordinator/policies/serial-gates
 * Serial keys as an operator sees and steers them: freeze and unfreeze (the `serial_freezes` table, mirrored
 * into `settings.frozenSerialKeys` in the same unit — the router reads that list through `routeContext`), and
 * the view of each key with a holder (running, or stopping after a forced lease loss: dispatch/serial-holds), a queue
 * or a freeze (rules in core/serial-gates). Freezing stops new
 * dispatch of the key's jobs and leaves the current holder running; unfreezing bumps the queue version so a
 * dispatch pass hands the key to its most urgent waiting job at once.
 */
import { DomainError } from "../../../core/errors.ts";
import type { Priority } from "../../../core/model.ts";
import { PRIORITIES } from "../../../core/model.ts";
import { PRIORITY_VALUE } from "../../../core/router.ts";
import {
  MAX_FROZEN_KEYS,
  QUEUE_SHOWN,
  type QueuedRef,
  type SerialFreeze,
  type SerialGate,
  serialQueueView,
  withFrozenKey,
} from "../../../core/serial-gates.ts";
import { liveHoldsByKey } from "../../../core/serial-holds.ts";
import { execute, withLimit } from "../../sql-statements.ts";
import { cascadeHold } from "../dag/cancel-subtree.ts";
import { liveSerialHolds } from "../dispatch/serial-holds.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { bumpQueueVersion, getSettings, saveSettings, settingsToChange } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";

export interface SerialPage {
  keys: SerialGate[];
  /** Pass as `cursor` for the next page; absent on the last. */
  nextCursor?: string;
}

function freezeOf(sql: SqlStorage, key: string): SerialFreeze | null {
  const row = one<{ frozen_by: string; reason: string; at: number }>(
    sql,
    "SELECT frozen_by, reason, at FROM serial_freezes WHERE key = ?",
    key,
  );
  return row ? { by: row.frozen_by, reason: row.reason, at: row.at } : null;
}

/**
 * One key's gate at `tx.now`. The queue is exact yet bounded: within a priority class urgency grows with age, so the
 * QUEUE_SHOWN most urgent due jobs are among the QUEUE_SHOWN oldest due ones of each class; the jobs in backoff
 * follow, the QUEUE_SHOWN soonest due. `next` is dispatch's own choice among them (core/serial-gates
 * `serialQueueView`): due now (the walk's `not_before` test, dispatch/urgency-order) and below no cancel cascade.
 */
export function serialGate(tx: Tx, key: string): SerialGate {
  const holder = one<{ id: string }>(
    tx.sql,
    "SELECT id FROM jobs WHERE serial_key = ? AND stage IN ('assigned', 'building') ORDER BY id LIMIT 1",
    key,
  );
  const below = cascadeHold(tx.sql);
  const refs: QueuedRef[] = [];
  const add = (rows: QueuedRow[]) => {
    for (const r of rows) {
      refs.push({
        id: r.id,
        priority: PRIORITY_OF.get(r.p) ?? "medium",
        queuedAt: r.queued_at,
        ...(r.not_before !== null ? { notBefore: r.not_before } : {}),
        ...(below?.({ parentId: r.parent_id ?? undefined }) !== undefined ? { held: true } : {}),
      });
    }
  };
  for (const priority of PRIORITIES) {
    add(
      tx.sql
        .exec<QueuedRow>(
          `${QUEUED_SQL} AND priority_value = ?3 AND (not_before IS NULL OR not_before <= ?2)
          ORDER BY queued_at, id LIMIT ${QUEUE_SHOWN}`,
          key,
          tx.now,
          PRIORITY_VALUE[priority as Priority],
        )
        .toArray(),
    );
  }
  add(
    tx.sql
      .exec<QueuedRow>(`${QUEUED_SQL} AND not_before > ?2 ORDER BY not_before, id LIMIT ${QUEUE_SHOWN}`, key, tx.now)
      .toArray(),
  );
  const queueLength = tx.sql
    .exec<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE serial_key = ? AND stage = 'queued'", key)
    .one().n;
  const { weights, agingHorizonMinutes } = getSettings(tx.sql);
  const stop = holder ? undefined : liveHoldsByKey(liveSerialHolds(tx.sql, tx.now), tx.now).get(key);
  const view = serialQueueView(refs, tx.now, weights, agingHorizonMinutes * 60_000);
  return {
    key,
    holder: holder?.id ?? null,
    stopping: stop
      ? { jobId: stop.jobId, factoryId: stop.factoryId, leaseEpoch: stop.leaseEpoch, until: stop.until }
      : null,
    queue: view.queue.slice(0, QUEUE_SHOWN),
    next: view.next,
    nextDueAt: view.nextDueAt,
    queueLength,
    frozen: freezeOf(tx.sql, key),
  };
}

interface QueuedRow extends Record<string, SqlStorageValue> {
  id: string;
  p: number;
  queued_at: number;
  not_before: number | null;
  parent_id: string | null;
}

/**
 * A key's queued jobs (`?1`), with what the view reads; callers add the class or backoff test (`?2`: now). Every
 * statement of the view seeks `jobs_by_stage_serial` (runtime/schema) by stage and key: the key's finished jobs,
 * which the coordinator keeps, are never read.
 */
const QUEUED_SQL = `SELECT id, priority_value AS p, queued_at, not_before, parent_id FROM jobs
  WHERE serial_key = ?1 AND stage = 'queued'`;

const PRIORITY_OF = new Map(PRIORITIES.map((p) => [PRIORITY_VALUE[p as Priority], p as Priority]));

/**
 * Every key with a holder (running or stopping), a queue or a freeze, in key order (UTF-8 bytes: SQLite's BINARY
 * collation), `limit` per page after `cursor`.
 */
export function listSerialGates(tx: Tx, q: { limit: number; cursor?: string }): SerialPage {
  const keys = tx.sql
    .exec<{ k: string }>(
      withLimit(
        `SELECT k FROM (
         SELECT serial_key AS k FROM jobs WHERE serial_key IS NOT NULL AND stage IN ('queued', 'assigned', 'building')
         UNION SELECT key AS k FROM serial_freezes
         UNION SELECT serial_key AS k FROM serial_holds WHERE until > ?2
       ) WHERE k > ?1 ORDER BY k LIMIT {limit}`,
        q.limit + 1,
      ),
      q.cursor ?? "",
      tx.now,
    )
    .toArray()
    .map((r) => r.k);
  const page = keys.slice(0, q.limit);
  const last = page[page.length - 1];
  return { keys: page.map((k) => serialGate(tx, k)), ...(keys.length > q.limit && last ? { nextCursor: last } : {}) };
}

/**
 * Freeze `key` (again: a new reason replaces the old). Audited `serial.freeze` with the reason. A key frozen already
 * for the same reason is left as it is: nothing written, nothing audited, its freeze keeps its first time and actor,
 * `changed: false` (idempotent: a retried freeze is still a 200 and does not restart the freeze's clock).
 * @throws DomainError limit_exceeded — MAX_FROZEN_KEYS keys are frozen already.
 */
export function freezeSerialKey(tx: Tx, key: string, actor: string, reason: string): SerialGate & { changed: boolean } {
  const previous = freezeOf(tx.sql, key);
  const listed = getSettings(tx.sql).frozenSerialKeys.includes(key);
  if (previous?.reason === reason && listed) return { ...serialGate(tx, key), changed: false };
  if (!previous) {
    const n = tx.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM serial_freezes").one().n;
    if (n >= MAX_FROZEN_KEYS) {
      throw new DomainError("limit_exceeded", `${n} serial keys are frozen already; unfreeze one first`, {
        limit: MAX_FROZEN_KEYS,
      });
    }
  }
  execute(
    tx.sql,
    `INSERT INTO serial_freezes(key, frozen_by, reason, at) VALUES (?, ?, ?, ?)
     ON CONFLICT(key) DO UPDATE SET frozen_by = excluded.frozen_by, reason = excluded.reason, at = excluded.at`,
    key,
    actor,
    reason,
    tx.now,
  );
  syncSettings(tx, key, true);
  enqueueAudit(tx, actor, "serial.freeze", key, { reason, ...(previous ? { previous } : {}) });
  // The waiting reasons of the key's jobs change (serial_key_frozen): watchers re-read on a version move.
  bumpQueueVersion(tx.sql);
  return { ...serialGate(tx, key), changed: true };
}

/**
 * Unfreeze `key`, audited `serial.unfreeze`. A key that is not frozen is left as it is: nothing written, nothing
 * audited, `changed: false` (idempotent: a retried unfreeze is still a 200).
 */
export function unfreezeSerialKey(
  tx: Tx,
  key: string,
  actor: string,
  reason?: string,
): SerialGate & { changed: boolean } {
  const previous = freezeOf(tx.sql, key);
  const listed = getSettings(tx.sql).frozenSerialKeys.includes(key);
  if (!previous && !listed) return { ...serialGate(tx, key), changed: false };
  execute(tx.sql, "DELETE FROM serial_freezes WHERE key = ?", key);
  syncSettings(tx, key, false);
  enqueueAudit(tx, actor, "serial.unfreeze", key, { ...(reason ? { reason } : {}), ...(previous ? { previous } : {}) });
  // Dispatch must run now: the key's most urgent waiting job may go at once.
  bumpQueueVersion(tx.sql);
  return { ...serialGate(tx, key), changed: true };
}

function syncSettings(tx: Tx, key: string, frozen: boolean): void {
  const settings = settingsToChange(tx.sql);
  saveSettings(tx.sql, { ...settings, frozenSerialKeys: withFrozenKey(settings.frozenSerialKeys, key, frozen) });
}
