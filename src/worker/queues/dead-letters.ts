/**
 * @module worker/queues/dead-letters
 * Recording what could not be processed, in D1, where the API can show it:
 * poison messages from the dead-letter queue and bulk items the coordinator
 * refused. Keyed by a deterministic id, so recording twice is harmless.
 */
import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import { deadLetters } from "../../history/schema.ts";

export interface DeadLetter {
  id: string;
  productId: string;
  source: string;
  reason: string;
  body: unknown;
  attempts: number;
  at: number;
}

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
