/**
 * @module worker/routes/dead-letters
 * `GET …/dead-letters` (operator): what could not be delivered or processed, newest first, from the two places that
 * keep dead letters — D1 (poison queue messages, refused bulk items) and the product's coordinator (its undeliverable
 * outbox records, and what D1 refused) — as one list, paged by keyset.
 *
 * The order is total: `at` down, then `id` down in byte order (SQLite's, for both stores), and one poison message
 * makes many dead letters in one millisecond, so the id is what orders them. A page asks each store for the `limit + 1`
 * rows after the cursor, merges them in that order (a dead letter both stores hold — D1 took it but seemed to refuse
 * it, so the coordinator kept it too — listed once; one they hold under different `at`s, a message kept by each on
 * another delivery, listed once too, as D1 holds it: `withoutD1Copies`) and ends on its `limit`-th: the `nextCursor` is that row's
 * (at, id), base64url JSON (shared/history-cursor `encodeCursorJson`), so the next page starts strictly after it.
 * Every dead letter held when a reader starts is seen exactly once, whatever arrives meanwhile: one that arrives
 * with a later key than the cursor's is left to a reader who starts again. `since` and `limit` work as before the
 * cursor; a client that never passes `cursor` gets the same first page.
 *
 * A page also stops once a store's bodies reach PAGE_BODY_CHARS (outbox/dead-letters), at that store's last row read
 * (the page may be shorter than `limit`, with a `nextCursor`): a dead letter's body is up to a queue message, and a
 * page of 500 of them was past what the coordinator's RPC may return — a 500, every time, for `dead-letters --all`.
 *
 * D1 may be the very thing that is failing: its dead letters are then left out, the coordinator's still listed, and
 * the answer says `partial` — a reader paging on would skip D1's, so it should start again once D1 is back.
 */
import { and, desc, eq, gt, gte, lt, or, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Hono } from "hono";
import { unwrap } from "../../core/errors.ts";
import { rowsThatFit } from "../../durable-objects/coordinator/outbox/dead-letters.ts";
import { deadLetters } from "../../history/schema.ts";
import { DeadLettersQuery } from "../../shared/api.ts";
import { encodeCursorJson } from "../../shared/history-cursor.ts";
import { type AppEnv, coordinatorFor, requireRole } from "../auth.ts";
import { query } from "../validate.ts";

export const deadLetterRoutes = new Hono<AppEnv>();

/** A dead letter as either store holds it: `body` is JSON text. */
type Stored = {
  id: string;
  productId: string;
  source: string;
  reason: string;
  body: string;
  attempts: number;
  at: number;
};
type Key = { at: number; id: string };

const utf8 = new TextEncoder();

/** Byte order of the ids' UTF-8, as SQLite compares text (JS's `<` compares UTF-16 units, which differs past U+FFFF). */
function compareBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  return x.length - y.length;
}

/** Negative when `a` comes first in the list: the later `at`, then the greater id. */
export function newestFirst(a: Key, b: Key): number {
  return b.at - a.at || compareBytes(b.id, a.id);
}

/** Both stores' rows in list order, each (at, id) once. */
function merge(rows: Stored[]): Stored[] {
  const sorted = rows.sort(newestFirst);
  return sorted.filter((r, i) => i === 0 || newestFirst(sorted[i - 1] as Stored, r) !== 0);
}

/** D1's rows of `productId` at or after `since`, after `after`, newest first; undefined when D1 cannot be read. */
async function fromD1(
  db: D1Database,
  productId: string,
  since: number,
  take: number,
  after?: Key,
): Promise<{ items: Stored[]; cut: boolean } | undefined> {
  const where: SQL[] = [eq(deadLetters.productId, productId), gte(deadLetters.at, since)];
  if (after)
    where.push(
      or(lt(deadLetters.at, after.at), and(eq(deadLetters.at, after.at), lt(deadLetters.id, after.id))) as SQL,
    );
  const d1 = drizzle(db);
  const newestFirstOrder = [desc(deadLetters.at), desc(deadLetters.id)];
  try {
    // The bodies' sizes first, then only the rows whose bodies fit a page (outbox/dead-letters `rowsThatFit`).
    const sizes = await d1
      .select({ at: deadLetters.at, id: deadLetters.id, chars: sql<number>`length(${deadLetters.body})` })
      .from(deadLetters)
      .where(and(...where))
      .orderBy(...newestFirstOrder)
      .limit(take);
    const fit = rowsThatFit(sizes.map((r) => r.chars));
    const through = sizes[fit - 1];
    if (!through) return { items: [], cut: false };
    // Down to that row by key, not by count: a dead letter arriving between the reads (the newest) must not push
    // the oldest out unseen. Bounded all the same; a read that fills its bound ends the page at its last row.
    const bound = fit + take;
    const items = await d1
      .select()
      .from(deadLetters)
      .where(
        and(
          ...where,
          or(
            gt(deadLetters.at, through.at),
            and(eq(deadLetters.at, through.at), gte(deadLetters.id, through.id)),
          ) as SQL,
        ),
      )
      .orderBy(...newestFirstOrder)
      .limit(bound);
    return { items, cut: fit < sizes.length || items.length === bound };
  } catch (err) {
    console.error(`dead letters: D1 unreadable for ${productId}: ${String(err)}`);
    return undefined;
  }
}

/** A store's rows for a page; `cut`: more may follow `last`, the last row it read (listed or not). */
type StoreRows = { items: Stored[]; cut: boolean; last?: Key };

/**
 * The page: at most `limit` rows of `merged`, and never past the last row a `cut` store read (its rows after that one
 * were not read, and the next page's cursor would skip them).
 */
function pageOf(merged: Stored[], limit: number, stores: ReadonlyArray<StoreRows>) {
  let end = Math.min(limit, merged.length);
  for (const store of stores) {
    const last = store.last ?? store.items[store.items.length - 1];
    if (!store.cut || !last) continue;
    end = Math.min(end, merged.filter((r) => newestFirst(r, last) <= 0).length);
  }
  return { page: merged.slice(0, end), more: merged.length > end || stores.some((s) => s.cut) };
}

/**
 * The coordinator's rows less those D1 holds too under a different `at` — a queue message kept there while D1
 * refused it, then by D1 on a later delivery (its ack lost, or the coordinator's answer): D1's copy is listed, in its
 * own place, whatever page this is; both had been listed, one per (at, id). Only queue messages can be in both
 * (an outbox record's dead letter is the coordinator's alone), so the common page asks D1 nothing more. A store that
 * lost rows so and read all it was asked for is `cut` at its last row read: rows past it were not read.
 * @returns undefined when D1 could not say (the caller lists the coordinator's rows as they are, `partial`)
 */
async function withoutD1Copies(
  db: D1Database,
  productId: string,
  store: { items: Stored[]; cut: boolean },
  take: number,
): Promise<StoreRows | undefined> {
  const queued = store.items.filter((r) => r.source.startsWith("queue:")).map((r) => r.id);
  if (queued.length === 0) return store;
  try {
    const { results } = await db
      .prepare("SELECT id FROM dead_letters WHERE product_id = ? AND id IN (SELECT value FROM json_each(?))")
      .bind(productId, JSON.stringify(queued))
      .all<{ id: string }>();
    const inD1 = new Set(results.map((r) => r.id));
    if (inD1.size === 0) return store;
    const last = store.items[store.items.length - 1];
    const items = store.items.filter((r) => !inD1.has(r.id));
    return { items, cut: store.cut || store.items.length >= take, ...(last ? { last } : {}) };
  } catch (err) {
    console.error(`dead letters: D1 unreadable for ${productId}: ${String(err)}`);
    return undefined;
  }
}

/**
 * A stored body as the list shows it: its JSON, or — a body that is not JSON (a row no writer of ours makes, but one
 * the redrive route must already refuse) — its text as kept. Parsed strictly, one such row was a 500 for every page
 * that held it, and `dead-letters --all` never got past it.
 */
export function bodyOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

deadLetterRoutes.get("/dead-letters", async (c) => {
  requireRole(c, "operator");
  const q = query(c, DeadLettersQuery);
  const productId = c.get("productId");
  const since = q.since ?? 0;
  // One more than the page from each: the merged list then has a row past the page exactly when more follow.
  const take = q.limit + 1;
  const [inD1, inCoordinator] = await Promise.all([
    fromD1(c.env.DB, productId, since, take, q.cursor),
    unwrap(coordinatorFor(c.env, productId).listDeadLetters(productId, since, take, q.cursor)),
  ]);
  const coordinatorRows = inD1 && (await withoutD1Copies(c.env.DB, productId, inCoordinator, take));
  const complete = inD1 && coordinatorRows;
  const stores: StoreRows[] = complete ? [inD1, coordinatorRows] : [inCoordinator];
  const merged = merge(stores.flatMap((s) => s.items));
  const { page, more } = pageOf(merged, q.limit, stores);
  const last = page[page.length - 1];
  const items = page.map((r) => ({ ...r, body: bodyOf(r.body) }));
  return c.json({
    items,
    ...(more && last ? { nextCursor: encodeCursorJson({ at: last.at, id: last.id }) } : {}),
    ...(complete ? {} : { partial: true }),
  });
});
