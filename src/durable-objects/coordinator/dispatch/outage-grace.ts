/**
 * @module durable-objects/coordinator/dispatch/outage-grace
 * OUTAGE GRACE — contract (the rule and its evidence: core/outage-grace), run once when a coordinator instance
 * starts, before any request:
 *   inputs: the held leases (stage assigned or building, with an expiry) and the serial stop holds
 *           (dispatch/serial-holds), their holders' stored link (registry `linkOpen`; none for a poller: core/
 *           factory-link `pollsOverHttp`), the factories with a socket attached to this instance (`attached`), `now`.
 *   guard:  every holder is attached and no lease is more than OUTAGE_SLACK_MS overdue: nothing further is read.
 *   output: every lease and stop hold of a graced holder (core/outage-grace `holderGraced`) runs at least
 *           max(its TTL, 30 s) from now (same epoch, same holder: its agent renews it, or resumes it from `welcome`,
 *           as if nothing happened; its stopping engine's `stopped` still ends the hold); every holder stored
 *           connected but not attached is recorded disconnected (so an instance that starts again, an idle one
 *           woken by its alarm at the grace's end, grants nothing more), with no `disconnectedAt`: its link went
 *           down with the coordinator, when is unknown (the fleet view); one `lease.outage_grace` audit record
 *           with how many leases and holds were extended. Returns how many leases were extended.
 */
import { pollsOverHttp } from "../../../core/factory-link.ts";
import { expiryAtStart, type HolderLink, wasDown } from "../../../core/outage-grace.ts";
import { leaseTtlFor } from "../../../core/settings.ts";
import { execute } from "../../sql-statements.ts";
import { noteDisconnected } from "../factories/link-ends.ts";
import { linkOpen, readFactory } from "../factories/registry.ts";
import { loadJob, touchJob } from "../jobs/rows.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { getSettings } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { NEXT_LEASE_EXPIRY_SQL } from "./lease-ops.ts";

const HELD = "lease_expires_at IS NOT NULL AND stage IN ('assigned', 'building')";

interface HoldRow extends Record<string, SqlStorageValue> {
  job_id: string;
  lease_epoch: number;
  factory_id: string;
  until: number;
}

/** @param attached factory ids with a socket attached to the starting instance (factories/sockets `attachedFactoryIds`) */
export function graceLeasesAfterOutage(tx: Tx, attached: ReadonlySet<string>): number {
  const oldest = one<{ t: number }>(tx.sql, NEXT_LEASE_EXPIRY_SQL)?.t; // the alarm's own query for the earliest
  const down = wasDown(oldest, tx.now);
  const holders = tx.sql
    .exec<{ id: string }>(
      `SELECT DISTINCT holder_factory_id AS id FROM jobs INDEXED BY jobs_by_lease WHERE ${HELD}
       UNION SELECT factory_id AS id FROM serial_holds`,
    )
    .toArray()
    .map((r) => r.id)
    .filter((id) => id && !attached.has(id));
  if (holders.length === 0 && !down) return 0;
  const links = new Map<string, HolderLink>();
  for (const id of holders) {
    const f = readFactory(tx.sql, id);
    // A poller (one whose socket ended too, its latest beat over HTTP) has no link to judge: the old evidence, `down`.
    links.set(id, { connected: f && !pollsOverHttp(f) ? linkOpen(f) : undefined, attached: false });
    if (f && linkOpen(f)) noteDisconnected(tx, { factoryId: id, connection: f.connection, unseen: true });
  }
  const linkOf = (id: string): HolderLink => links.get(id) ?? { connected: undefined, attached: attached.has(id) };
  const settings = getSettings(tx.sql);
  const ttlOf = (jobId: string) => {
    const job = loadJob(tx.sql, jobId);
    return job ? leaseTtlFor(job.manifest, settings) : settings.leaseTtlSeconds;
  };
  let leases = 0;
  const ids = tx.sql.exec<{ id: string }>(`SELECT id FROM jobs INDEXED BY jobs_by_lease WHERE ${HELD}`).toArray();
  for (const { id } of ids) {
    const job = loadJob(tx.sql, id);
    if (!job?.holderFactoryId || job.leaseExpiresAt === undefined) continue;
    const ttl = leaseTtlFor(job.manifest, settings);
    const until = expiryAtStart(job.leaseExpiresAt, ttl, linkOf(job.holderFactoryId), down, tx.now);
    if (until === job.leaseExpiresAt) continue;
    touchJob(tx, job, { leaseExpiresAt: until });
    leases += 1;
  }
  let holds = 0;
  for (const h of tx.sql.exec<HoldRow>("SELECT job_id, lease_epoch, factory_id, until FROM serial_holds").toArray()) {
    const until = expiryAtStart(h.until, ttlOf(h.job_id), linkOf(h.factory_id), down, tx.now);
    if (until === h.until) continue;
    const sql = "UPDATE serial_holds SET until = ? WHERE job_id = ? AND lease_epoch = ?";
    holds += execute(tx.sql, sql, until, h.job_id, h.lease_epoch);
  }
  if (leases + holds > 0) {
    const overdueMs = oldest === undefined ? 0 : Math.max(0, tx.now - oldest);
    enqueueAudit(tx, "system", "lease.outage_grace", tx.productId, { leases, holds, overdueMs });
  }
  return leases;
}
