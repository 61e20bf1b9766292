/**
 * @module worker/products
 * Which products exist. A product comes into being when the admin first acts on
 * it; until then, no request can touch (and so create) its coordinator. Without
 * this, any made-up `gf_<product>_…` token would conjure a Durable Object and
 * its storage just to be told 401.
 *
 * The registry is the D1 `products` table. Products are never deleted, so a
 * positive answer is cached for the isolate's lifetime: after the first request
 * the check costs nothing on the hot path.
 */
import { DomainError } from "../core/errors.ts";

const known = new Set<string>();

export async function registerProduct(env: Env, productId: string, now = Date.now()): Promise<void> {
  if (known.has(productId)) return;
  await env.DB.prepare(
    "INSERT INTO products(id, first_seen_at, last_seen_at) VALUES (?1, ?2, ?2) ON CONFLICT(id) DO NOTHING",
  )
    .bind(productId, now)
    .run();
  known.add(productId);
}

export async function productExists(env: Env, productId: string): Promise<boolean> {
  if (known.has(productId)) return true;
  const row = await env.DB.prepare("SELECT 1 AS x FROM products WHERE id = ?").bind(productId).first();
  if (row) known.add(productId);
  return row !== null;
}

export function unknownToken(): DomainError {
  return new DomainError("unauthorized", "token is not recognised, or was revoked or rotated");
}
