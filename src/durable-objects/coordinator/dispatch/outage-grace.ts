/**
 * @module durable-objects/coordinator/dispatch/outage-grace
 * OUTAGE GRACE — contract (core/outage-grace), run once when a coordinator instance starts, before any request:
 *   inputs: the held leases (stage assigned or building, with an expiry), `now`.
 *   guard:  the oldest of them is overdue by more than OUTAGE_SLACK_MS (the coordinator was not running to
 *           expire it); otherwise nothing is read further and nothing changes.
 *   output: every held lease runs at least max(its TTL, 30 s) from now (same epoch, same holder: its agent
 *           renews it, or resumes it from `welcome`, as if nothing happened); one `lease.outage_grace` audit
 *           record with how many and how overdue the oldest was. Returns how many leases were extended.
 */
import { extendedExpiry, wasDown } from "../../../core/outage-grace.ts";
import { leaseTtlFor } from "../../../core/settings.ts";
import { loadJob, touchJob } from "../jobs/rows.ts";
import { enqueueAudit } from "../outbox/records.ts";
import { getSettings } from "../runtime/meta.ts";
import { one, type Tx } from "../runtime/tx.ts";
import { NEXT_LEASE_EXPIRY_SQL } from "./lease-ops.ts";

const HELD = "lease_expires_at IS NOT NULL AND stage IN ('assigned', 'building')";

export function graceLeasesAfterOutage(tx: Tx): number {
  const oldest = one<{ t: number }>(tx.sql, NEXT_LEASE_EXPIRY_SQL)?.t; // the alarm's own query for the earliest
  if (!wasDown(oldest, tx.now)) return 0;
  const settings = getSettings(tx.sql);
  const ids = tx.sql.exec<{ id: string }>(`SELECT id FROM jobs INDEXED BY jobs_by_lease WHERE ${HELD}`).toArray();
  let extended = 0;
  for (const { id } of ids) {
    const job = loadJob(tx.sql, id);
    if (!job?.holderFactoryId || job.leaseExpiresAt === undefined) continue;
    const until = extendedExpiry(job.leaseExpiresAt, tx.now, leaseTtlFor(job.manifest, settings));
    if (until === job.leaseExpiresAt) continue;
    touchJob(tx, job, { leaseExpiresAt: until });
    extended += 1;
  }
  enqueueAudit(tx, "system", "lease.outage_grace", tx.productId, { leases: extended, overdueMs: tx.now - oldest! });
  return extended;
}
