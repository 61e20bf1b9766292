/**
 * @module worker/routes/dead-letter-show
 * `GET …/dead-letters/{deadLetterId}` (operator): one dead letter, read from the two stores the list reads — D1 and the
 * product's coordinator — with its body as the list shows it (routes/dead-letters `bodyOf`), which stores hold it, and
 * whether a redrive would send it back now (the redrive route's own checks, run without sending: worker/queues/redrive
 * `redriveOf`, `keysStillDedupe`, and a webhook set for a webhook delivery). What was delivered had been readable only
 * in a page of the list (`dead-letters --json`) or on the dashboard.
 *
 * Bounded as a page of the list is: one row, its body at most what one store keeps (a queue message, or an outbox
 * record), never more than the one-row page the list always answers (outbox/dead-letters `rowsThatFit`). When both
 * stores hold it, D1's copy is answered, as the list lists it; the redrive is judged from the earlier `at`, as the
 * redrive route judges it. An unknown id, or another product's, is 404 `not_found`; D1 unreadable and the coordinator
 * without it, 503 `unavailable` (D1 may hold it). D1 unreadable and the coordinator holding it: its copy, `partial`.
 */
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { DomainError, NotFoundError, unwrap } from "../../core/errors.ts";
import type { StoredDeadLetter } from "../../durable-objects/coordinator/outbox/dead-letters.ts";
import { deadLetters } from "../../history/schema.ts";
import { DeadLetterIdParam } from "../../shared/api.ts";
import type { DeadLetterRedriveVerdict } from "../../shared/http-client-types.ts";
import { type AppEnv, openerOf, requireRole } from "../auth.ts";
import { keysStillDedupe, parseBody, redriveOf } from "../queues/redrive.ts";
import { noQuery, param } from "../validate.ts";
import { assertWebhookSet } from "./dead-letter-redrive.ts";
import { bodyOf } from "./dead-letters.ts";

export const deadLetterShow = new Hono<AppEnv>();

/** Dead letter `id` of `productId` in D1: the row, null when D1 has none, undefined when D1 cannot be read. */
async function fromD1(db: D1Database, productId: string, id: string): Promise<StoredDeadLetter | null | undefined> {
  try {
    const [row] = await drizzle(db)
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.productId, productId), eq(deadLetters.id, id)))
      .limit(1);
    return row ?? null;
  } catch (err) {
    console.error(`dead letter read: D1 unreadable for ${productId}: ${String(err)}`);
    return undefined;
  }
}

/**
 * Whether a redrive would send `found` back now, and where; else the refusal it would answer (its code and detail).
 * Judged as the redrive route judges, nothing sent: `at` is the earlier of the stores' copies.
 */
async function verdictOf(
  coordinator: AppEnv["Variables"]["coordinator"],
  productId: string,
  found: StoredDeadLetter,
  at: number,
): Promise<DeadLetterRedriveVerdict> {
  try {
    const { queue } = redriveOf(productId, found.id, found.source, parseBody(found.id, found.body));
    keysStillDedupe(found.id, found.source, at, Date.now());
    if (queue === "webhook") await assertWebhookSet(coordinator, productId, found.id, found.source);
    return { possible: true, queue };
  } catch (err) {
    if (!(err instanceof DomainError) || !err.code.startsWith("dead_letter_")) throw err;
    return { possible: false, code: err.code, detail: err.message };
  }
}

deadLetterShow.get("/dead-letters/:deadLetterId", async (c) => {
  requireRole(c, "operator");
  noQuery(c);
  const id = param(c, "deadLetterId", DeadLetterIdParam);
  const productId = c.get("productId");
  const coordinator = c.get("coordinator");
  const [d1, kept] = await Promise.all([
    fromD1(c.env.DB, productId, id),
    unwrap(coordinator.findDeadLetter(productId, id, openerOf(c))),
  ]);
  const found = d1 ?? kept;
  if (!found) {
    // Not in the coordinator, and D1 could not say: it may be there — not a 404, which would say it is gone.
    if (d1 === undefined)
      throw new DomainError(
        "unavailable",
        `dead letter ${id}: D1 could not be read, and only D1 may hold it; ask again`,
      );
    throw new NotFoundError("dead letter", id);
  }
  const at = Math.min(...[d1, kept].flatMap((f) => (f ? [f.at] : [])));
  const heldBy = [...(d1 ? (["d1"] as const) : []), ...(kept ? (["coordinator"] as const) : [])];
  return c.json({
    id: found.id,
    productId,
    source: found.source,
    reason: found.reason,
    body: bodyOf(found.body),
    attempts: found.attempts,
    at: found.at,
    heldBy,
    redrive: await verdictOf(coordinator, productId, found, at),
    ...(d1 === undefined ? { partial: true as const } : {}),
  });
});
