/**
 * @module durable-objects/coordinator/outbox/dead-letter-redrive
 * The coordinator's share of a redrive (`POST …/dead-letters/{id}/redrive`, worker/routes/dead-letter-redrive): reading
 * one dead letter it keeps (outbox records it gave up on, queue messages D1 refused), and — once the Worker has put
 * the message back on its queue — forgetting it and auditing the redrive, in one unit. The audit is written here
 * for every redrive, also of a dead letter only D1 held: the coordinator is the product's one audit writer (its
 * outbox ships the record to D1 with the rest), so `dead_letter.redriven` sits in the same history as the
 * `outbox.dead_letter` that recorded the loss.
 */
import { execute } from "../../sql-statements.ts";
import { one, type Tx } from "../runtime/tx.ts";
import type { StoredDeadLetter } from "./dead-letters.ts";
import { enqueueAudit } from "./records.ts";

/** The audit action of a redrive: one per redrive, naming the dead letter's id as its target. */
export const DEAD_LETTER_REDRIVEN = "dead_letter.redriven" as const;

type Row = { id: string; source: string; reason: string; body: string; attempts: number; at: number };

/** The dead letter `id` as this coordinator keeps it, or undefined. The table is the product's own (one DO each). */
export function findDeadLetter(sql: SqlStorage, productId: string, id: string): StoredDeadLetter | undefined {
  const row = one<Row>(sql, "SELECT id, source, reason, body, attempts, at FROM dead_letters WHERE id = ?", id);
  return row ? { ...row, productId } : undefined;
}

/** What the Worker did with the dead letter, for the audit record's detail. */
export interface Redriven {
  id: string;
  source: string;
  /** The queue its message went back to: `history`, `webhook` or `dispatch`. */
  queue: string;
  /** Whether D1 held it too (and the Worker deleted it there). */
  fromD1: boolean;
}

/**
 * After the Worker sent the message back to its queue: forgets this coordinator's copy (if it had one) and audits
 * the redrive. Both in one unit, so a redrive that is audited is one whose copy here is gone.
 * @returns whether this coordinator had a copy
 */
export function forgetRedriven(tx: Tx, actor: string, r: Redriven): boolean {
  const kept = execute(tx.sql, "DELETE FROM dead_letters WHERE id = ?", r.id) > 0;
  enqueueAudit(tx, actor, DEAD_LETTER_REDRIVEN, r.id, {
    source: r.source,
    queue: r.queue,
    from: [...(r.fromD1 ? ["d1"] : []), ...(kept ? ["coordinator"] : [])],
  });
  return kept;
}
