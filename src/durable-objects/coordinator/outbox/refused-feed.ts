/**
 * @module durable-objects/coordinator/outbox/refused-feed
 * A job feed that refused an event through all its tries (core/delivery-retry) is refusing the job's events: the
 * later events it refused too go to the dead letters with it. A feed keeps its order, so an event waits while an
 * earlier one of its job waits for a retry, and a round sends a retried one alone (outbox/delivery): only the first
 * event was tried — each later one took its own MAX_DELIVERY_ATTEMPTS tries (254 s) after the one before it was
 * dead-lettered, and a job with a few hundred events held behind a refusing feed (and its REST events page, artifact
 * commit and deletion: 503 while its feed lacks them) stayed held for a day. Only events already refused at least
 * once go: one written since is tried on its own.
 */
import type { Tx } from "../runtime/tx.ts";
import { keepDeadLetters } from "./dead-letters.ts";
import { refusedEventsAfter } from "./due-rows.ts";
import { ackSeqs, type OutboxRecord } from "./records.ts";

/**
 * `dead` (an outbox record just dead-lettered after its tries) was a job's feed event: dead-letters the job's later
 * events its feed refused too, in the same unit — each its own dead letter (listed by the API; as any outbox record's,
 * not redrivable: worker/queues/redrive), one audit record and one alert line for all of them (outbox/dead-letters
 * `keepDeadLetters`).
 * @returns how many were dead-lettered with it
 */
export function buryRefusedBehind(tx: Tx, dead: OutboxRecord): number {
  if (dead.kind !== "event") return 0;
  const rows = refusedEventsAfter(tx.sql, dead.body.jobId, dead.seq);
  if (rows.length === 0) return 0;
  const reason = `job ${dead.body.jobId}'s feed refused its earlier event outbox:${dead.seq} through every try; this one was refused too`;
  keepDeadLetters(
    tx,
    rows.map((r) => ({
      id: `outbox:${r.seq}`,
      source: "outbox:event",
      reason,
      body: r.body,
      attempts: r.attempts,
      at: tx.now,
    })),
  );
  ackSeqs(
    tx.sql,
    rows.map((r) => r.seq),
  );
  return rows.length;
}
