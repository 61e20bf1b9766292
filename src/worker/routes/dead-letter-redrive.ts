/**
 * @module worker/routes/dead-letter-redrive
 * `POST …/dead-letters/{id}/redrive` (operator, audited `dead_letter.redriven`): puts a dead letter's original message
 * back on the queue it came from (worker/queues/redrive says which, and why each is safe to send twice), then deletes
 * the dead letter from whichever store holds it — D1, the product's coordinator, or both — so a second redrive
 * answers 404. Without it, history written while D1 was down past the history consumer's 5 deliveries, and webhook
 * deliveries to a receiver down past ~9 minutes, were listed for good and reached nobody.
 *
 * At least once, never lost: the message is sent before the dead letter is deleted, so a failure between the two
 * leaves the dead letter listed (a 503, and a redrive again sends the message again — its effects are idempotent);
 * a dead letter is never deleted without its message sent. A refusal (404, 409) sends and deletes nothing.
 * Another product's dead letter is a 404, as one that never was: D1 is read by product, the coordinator is the
 * product's own, and a message naming another product is refused (409 `dead_letter_malformed`). A webhook delivery
 * of a product with no webhook now is refused too (409 `dead_letter_not_redrivable`): it would be dropped unsent.
 * So is a dispatch message kept for longer than its items' idempotency keys surely dedupe (worker/queues/redrive
 * `keysStillDedupe`, from the earlier `at` when both stores hold it): a job one of them made meanwhile would be made
 * twice.
 */
import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { DomainError, NotFoundError, unwrap } from "../../core/errors.ts";
import { deadLetters } from "../../history/schema.ts";
import { DeadLetterIdParam } from "../../shared/api.ts";
import { type AppEnv, actorOf, openerOf, requireRole } from "../auth.ts";
import { keysStillDedupe, parseBody, type RedriveQueue, redriveOf } from "../queues/redrive.ts";
import { noBody, noQuery, param } from "../validate.ts";

export const deadLetterRedrive = new Hono<AppEnv>();

type Found = { source: string; body: string; at: number };

/** Dead letter `id` of `productId` in D1: the row, null when D1 has none, undefined when D1 cannot be read. */
async function inD1(db: D1Database, productId: string, id: string): Promise<Found | null | undefined> {
  try {
    const [row] = await drizzle(db)
      .select({ source: deadLetters.source, body: deadLetters.body, at: deadLetters.at })
      .from(deadLetters)
      .where(and(eq(deadLetters.productId, productId), eq(deadLetters.id, id)))
      .limit(1);
    return row ?? null;
  } catch (err) {
    console.error(`dead letter redrive: D1 unreadable for ${productId}: ${String(err)}`);
    return undefined;
  }
}

/** Sends `message` as JSON (the size the queue counts) to the queue named. */
function send(env: Env, queue: RedriveQueue, message: unknown): Promise<unknown> {
  const options = { contentType: "json" } as const;
  switch (queue) {
    case "history":
      return env.HISTORY_QUEUE.send(message as never, options);
    case "webhook":
      return env.WEBHOOK_QUEUE.send(message as never, options);
    case "dispatch":
      return env.DISPATCH_QUEUE.send(message as never, options);
  }
}

const unavailable = (id: string, what: string) =>
  new DomainError("unavailable", `dead letter ${id}: ${what}; it is kept — redrive it again (a redrive is idempotent)`);

/**
 * A webhook delivery is redriven only while the product has a webhook: without one the consumer acks it unsent (a
 * webhook removed has nobody to tell), so the redrive would answer `redriven` and delete the delivery's only record.
 * The public view is read (policies/webhook `getWebhook`), never the secret. A webhook removed after this check
 * drops the message as any queued delivery is dropped.
 * @throws DomainError `dead_letter_not_redrivable` (409) when none is set, the dead letter kept
 */
export async function assertWebhookSet(
  coordinator: AppEnv["Variables"]["coordinator"],
  productId: string,
  id: string,
  source: string,
) {
  try {
    await unwrap(coordinator.getWebhook(productId));
  } catch (err) {
    if (!(err instanceof DomainError) || err.code !== "not_found") throw err;
    throw new DomainError(
      "dead_letter_not_redrivable",
      `dead letter ${id} (${source}) cannot be redriven: the product has no webhook now, so its delivery would be ` +
        "dropped unsent; set one (PUT …/webhook), then redrive it",
      { id, source },
    );
  }
}

deadLetterRedrive.post("/dead-letters/:deadLetterId/redrive", async (c) => {
  const principal = requireRole(c, "operator");
  noQuery(c);
  await noBody(c);
  const id = param(c, "deadLetterId", DeadLetterIdParam);
  const productId = c.get("productId");
  const coordinator = c.get("coordinator");
  const [d1, kept] = await Promise.all([
    inD1(c.env.DB, productId, id),
    unwrap(coordinator.findDeadLetter(productId, id, openerOf(c))), // its credential, live: 401 if revoked meanwhile
  ]);
  // D1 unreadable but the coordinator holding it: redriven from there. A copy D1 may hold too stays listed, and a
  // redrive of it sends the message once more — harmless, as every redrive's effects are idempotent.
  const found = d1 ?? kept;
  if (!found) {
    // Not in the coordinator, and D1 could not say: it may be there — not a 404, which would say it is gone.
    if (d1 === undefined) throw unavailable(id, "D1 could not be read, and only D1 may hold it");
    throw new NotFoundError("dead letter", id);
  }
  const { queue, message } = redriveOf(productId, id, found.source, parseBody(id, found.body));
  // Both stores may hold it (kept by the coordinator while D1 refused it, recorded in D1 again on a later delivery):
  // the earlier `at` is when it was first dead-lettered, the one its keys' window runs from. D1's alone, a copy
  // recorded days after the coordinator kept it let a message past that window be sent again — its job made twice.
  const at = Math.min(...[d1, kept].flatMap((f) => (f ? [f.at] : [])));
  keysStillDedupe(id, found.source, at, Date.now());
  if (queue === "webhook") await assertWebhookSet(coordinator, productId, id, found.source);
  try {
    await send(c.env, queue, message);
  } catch (err) {
    console.error(`dead letter redrive: ${queue} queue refused ${id}: ${String(err)}`);
    throw unavailable(id, `the ${queue} queue refused its message`);
  }
  if (d1) {
    try {
      await drizzle(c.env.DB)
        .delete(deadLetters)
        .where(and(eq(deadLetters.productId, productId), eq(deadLetters.id, id)));
    } catch (err) {
      console.error(`dead letter redrive: ${id} sent, but D1 did not delete it: ${String(err)}`);
      throw unavailable(id, "its message was sent again, but D1 did not delete it");
    }
  }
  await unwrap(
    coordinator.forgetRedriven(productId, actorOf(principal), { id, source: found.source, queue, fromD1: !!d1 }),
  );
  return c.json({ id, source: found.source, queue, redriven: true as const });
});
