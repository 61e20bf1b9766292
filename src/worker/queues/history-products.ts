/**
 * @module worker/queues/history-products
 * The history consumer's record of which products wrote history: D1's `products`, the list the cron reaper sweeps
 * (worker/reaper), upserted with each write (first seen, last seen), in statements bounded by D1's parameters.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { products } from "../../history/schema.ts";
import type { HistoryRecord } from "../../history/write.ts";

/**
 * Products per upsert: 3 parameters each, and D1 binds at most 100 per statement. A batch holds up to 100 messages,
 * each of its own product: one statement for all of them failed D1 past 33, so the whole batch was written again
 * message by message — and no product of it was recorded.
 */
const PRODUCTS_PER_STATEMENT = 33;

/** Every product that wrote history is in `products`, the list the cron reaper sweeps (worker/reaper). */
export async function touchProducts(env: Env, records: readonly HistoryRecord[], now: number): Promise<void> {
  const ids = [...new Set(records.map((r) => r.productId))];
  if (ids.length === 0) return;
  const db = drizzle(env.DB);
  const upsert = (part: string[]) =>
    db
      .insert(products)
      .values(part.map((id) => ({ id, firstSeenAt: now, lastSeenAt: now })))
      .onConflictDoUpdate({ target: products.id, set: { lastSeenAt: sql`excluded.last_seen_at` } });
  const [first, ...rest] = Array.from({ length: Math.ceil(ids.length / PRODUCTS_PER_STATEMENT) }, (_, i) =>
    upsert(ids.slice(i * PRODUCTS_PER_STATEMENT, (i + 1) * PRODUCTS_PER_STATEMENT)),
  );
  if (first) await db.batch([first, ...rest]);
}
