/**
 * @module worker/queues/dead-letters
 * Recording what could not be processed, where the API can show it: poison
 * messages from the dead-letter queue and bulk items the coordinator refused go
 * to D1, keyed by a deterministic id, so recording twice is harmless. A dead
 * letter is never dropped: when D1 refuses it, it is kept in its product's
 * coordinator instead (durable, listed by the same API, audited and alerted as
 * `outbox.dead_letter`; a product's in one call, all or none), and only one that
 * neither could take is left unacked, so the queue delivers it again.
 */
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import { truncateUtf8, utf8Bytes } from "../../core/bytes.ts";
import { OUTBOX_DEAD_LETTER_ALERT } from "../../core/delivery-retry.ts";
import { unwrap } from "../../core/errors.ts";
import { deadLetters } from "../../history/schema.ts";
import { ProductId } from "../../shared/api.ts";
import type { DeadLetterView } from "../../shared/http-client.ts";
import { coordinatorFor } from "../auth.ts";

/** One dead letter: the very shape GET …/dead-letters answers with (one definition for writer and readers). */
export type DeadLetter = DeadLetterView;

/**
 * A dead letter's reason is at most this many bytes of UTF-8, cut on a character boundary — here, where every
 * consumer's dead letters are kept, so no caller can forget it (the dispatch consumer's refused items had not cut
 * theirs: a coordinator message echoing a 100 KB field was stored, listed and alerted whole).
 */
export const DEAD_LETTER_REASON_BYTES = 1024;
/** How much of D1's own error a letter kept in its coordinator instead quotes. */
const D1_ERROR_BYTES = 512;

export async function recordDeadLetters(d1: D1Database, items: readonly DeadLetter[]): Promise<void> {
  if (items.length === 0) return;
  const db = drizzle(d1);
  // One statement per row keeps each within D1's bound-parameter limit.
  const statements: BatchItem<"sqlite">[] = items.map((d) =>
    db
      .insert(deadLetters)
      .values({ ...d, body: JSON.stringify(d.body) })
      .onConflictDoNothing(),
  );
  await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}

/**
 * Records `items` in D1, or — when D1 refuses — keeps each in its product's
 * coordinator. Never throws.
 * @returns per item (same order): true once it is durably kept somewhere; false
 *   when neither D1 nor a coordinator took it (the caller must not ack its message)
 */
export async function keepDeadLetters(env: Env, input: readonly DeadLetter[]): Promise<boolean[]> {
  if (input.length === 0) return [];
  const items = input.map((d) => ({
    ...d,
    // A message's own word for its product, read leniently by the consumers: kept only if it names one (else "",
    // the product of none), so a string of any length is never stored as a product id nobody can list it under.
    productId: ProductId.safeParse(d.productId).success ? d.productId : "",
    reason: truncateUtf8(d.reason, DEAD_LETTER_REASON_BYTES),
  }));
  let d1Error: string;
  try {
    await recordDeadLetters(env.DB, items);
    return items.map(() => true);
  } catch (err) {
    d1Error = String(err);
    console.error(`dead letters: D1 refused ${items.length}, keeping them in their coordinators: ${d1Error}`);
  }
  // One call per product, one unit: a product's dead letters are kept all or none. Kept one call each, some of one
  // message could be kept and some not; its redelivery then wrote them all to D1 under a later `at`, and the list
  // (ordered by `at`, one entry per key) showed the ones kept both times twice.
  const byProduct = new Map<string, number[]>();
  for (const [i, d] of items.entries()) byProduct.set(d.productId, [...(byProduct.get(d.productId) ?? []), i]);
  const kept = items.map(() => false);
  await Promise.all(
    [...byProduct].map(async ([productId, indexes]) => {
      const letters = indexes.map((i) => items[i] as DeadLetter);
      try {
        if (!ProductId.safeParse(productId).success) throw new Error("no product to keep it in");
        const note = ` (kept in the coordinator: D1 refused it: ${truncateUtf8(d1Error, D1_ERROR_BYTES)})`;
        const stored = letters.map(({ productId: _p, ...d }) => ({
          ...d,
          // The note within the bound too: the reason cut shorter to make room for it.
          reason: `${truncateUtf8(d.reason, DEAD_LETTER_REASON_BYTES - utf8Bytes(note))}${note}`,
          body: JSON.stringify(d.body ?? null),
        }));
        await unwrap(coordinatorFor(env, productId).keepDeadLetters(productId, stored));
        for (const i of indexes) kept[i] = true;
      } catch (err) {
        const ids = letters.map((d) => d.id).join(",");
        console.error(
          `ALERT ${OUTBOX_DEAD_LETTER_ALERT} unkept id=${ids} product=${productId}: ${String(err)}; redelivery follows`,
        );
      }
    }),
  );
  return kept;
}
