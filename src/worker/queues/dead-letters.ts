/**
 * @module worker/queues/dead-letters
 * Recording what could not be processed, where the API can show it: poison
 * messages from the dead-letter queue and bulk items the coordinator refused go
 * to D1, keyed by a deterministic id, so recording twice is harmless — many to a
 * statement and a bounded number to a D1 call, however many one message makes. A
 * dead letter is never dropped: when D1 refuses it, it is kept in its product's
 * coordinator instead (durable, listed by the same API, audited and alerted as
 * `outbox.dead_letter` once per call; a product's in one call, all or none), and only one that
 * neither could take is left unacked, so the queue delivers it again. Every consumer keeps a batch's dead letters in
 * one such call (worker/queues/dead-letter-calls), then settles each message on its own.
 */
import { getTableColumns } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import { truncateUtf8, utf8Bytes } from "../../core/bytes.ts";
import { chunkBySize } from "../../core/chunks.ts";
import { OUTBOX_DEAD_LETTER_ALERT } from "../../core/delivery-retry.ts";
import { unwrap } from "../../core/errors.ts";
import { DEAD_LETTER_IDS_NAMED } from "../../durable-objects/coordinator/outbox/dead-letters.ts";
import { deadLetters } from "../../history/schema.ts";
import { D1_MAX_PARAMS } from "../../history/write.ts";
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

/** Dead letters per INSERT: one bound parameter per column of each row, within D1_MAX_PARAMS (14 of 7 columns). */
export const DEAD_LETTER_ROWS_PER_STATEMENT = Math.floor(
  D1_MAX_PARAMS / Object.keys(getTableColumns(deadLetters)).length,
);

/**
 * Dead letters per D1 batch (one D1 call, one transaction): 50 statements. One statement a row in one batch, a bulk
 * message's ~2,600 refused items had been one D1 call of ~2,600 statements, and a dead-letter-queue batch of 100
 * large messages one call of all their bodies.
 */
export const DEAD_LETTER_ROWS_PER_BATCH = 50 * DEAD_LETTER_ROWS_PER_STATEMENT;

/** Bytes (UTF-8, bodies and reasons) per D1 batch: a dead letter's body is up to a queue message (128 KB). */
const DEAD_LETTER_BATCH_BYTES = 2 * 1024 * 1024;

type Row = typeof deadLetters.$inferInsert;

/**
 * Writes `items` to D1's `dead_letters`, each once: a row already there under its id (a redelivered message's, which
 * carry the same ids) is left as it is — the first write's `at` and reason stay. Multi-row INSERTs in D1 batches
 * bounded by DEAD_LETTER_ROWS_PER_BATCH and DEAD_LETTER_BATCH_BYTES, one after another; each batch is one
 * transaction, so when D1 refuses one, the batches before it are written and it and those after are not.
 * @param written counts, as it goes, how many of `items` (a prefix) are written: what a caller need not keep elsewhere
 * @throws whatever D1 throws
 */
export async function recordDeadLetters(
  d1: D1Database,
  items: readonly DeadLetter[],
  written: { rows: number } = { rows: 0 },
): Promise<void> {
  const db = drizzle(d1);
  const rows: Row[] = items.map((d) => ({ ...d, body: JSON.stringify(d.body ?? null) }));
  const batches = chunkBySize(
    rows,
    { maxItems: DEAD_LETTER_ROWS_PER_BATCH, maxBytes: DEAD_LETTER_BATCH_BYTES },
    (r) => utf8Bytes(r.body) + utf8Bytes(r.reason),
  );
  for (const batch of batches) {
    const statements: BatchItem<"sqlite">[] = [];
    for (let i = 0; i < batch.length; i += DEAD_LETTER_ROWS_PER_STATEMENT) {
      statements.push(
        db
          .insert(deadLetters)
          .values(batch.slice(i, i + DEAD_LETTER_ROWS_PER_STATEMENT))
          .onConflictDoNothing(),
      );
    }
    await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
    written.rows += batch.length;
  }
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
  const written = { rows: 0 };
  let d1Error: string;
  try {
    await recordDeadLetters(env.DB, items, written);
    return items.map(() => true);
  } catch (err) {
    d1Error = String(err);
    const left = items.length - written.rows;
    console.error(
      `dead letters: D1 refused ${left} of ${items.length}, keeping them in their coordinators: ${d1Error}`,
    );
  }
  // One call per product, one unit: a product's dead letters are kept all or none. Kept one call each, some of one
  // message could be kept and some not; its redelivery then wrote them all to D1 under a later `at`, and the list
  // (ordered by `at`, one entry per key) showed the ones kept both times twice.
  // Those D1 took before it refused (earlier batches) are kept there already: only the rest go to a coordinator.
  const byProduct = new Map<string, number[]>();
  for (const [i, d] of items.entries()) {
    if (i < written.rows) continue;
    const indexes = byProduct.get(d.productId);
    if (indexes) indexes.push(i);
    else byProduct.set(d.productId, [i]);
  }
  const kept = items.map((_, i) => i < written.rows);
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
        // The count and the first ids: all of them had been one log line of a bulk message's 2,600.
        const ids = letters.slice(0, DEAD_LETTER_IDS_NAMED).map((d) => d.id);
        const more = letters.length > ids.length ? `,+${letters.length - ids.length} more` : "";
        const named = `count=${letters.length} ids=${ids.join(",")}${more}`;
        console.error(
          `ALERT ${OUTBOX_DEAD_LETTER_ALERT} unkept ${named} product=${productId}: ${String(err)}; redelivery follows`,
        );
      }
    }),
  );
  return kept;
}
