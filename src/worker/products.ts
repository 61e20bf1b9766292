/**
 * @module worker/products
 * Which products exist. A product is created explicitly, by the admin, with
 * `POST /api/v1/products`; a request naming any other product is `404` for the
 * admin and `401` for a product token, and nothing is created. Before this, any
 * admin request with a mistyped product name conjured a permanent product (a
 * coordinator, its storage, a row the reaper sweeps every minute for ever).
 *
 * The registry is the D1 `products` table (`first_seen_at` is the creation
 * time). Products are never deleted, so a positive answer is cached for the
 * isolate's lifetime: after the first request the check costs nothing on the
 * hot path. Negative answers are never cached, so a new product works at once.
 */
import { DomainError } from "../core/errors.ts";

const known = new Set<string>();

/** A product as the API shows it; `createdAt` in ms since the epoch. */
export interface ProductInfo {
  id: string;
  createdAt: number;
}

/**
 * Create `productId` if it does not exist yet. Idempotent: `created` is false
 * (and the original `createdAt` kept) when it already existed.
 */
export async function createProduct(
  env: Env,
  productId: string,
  now = Date.now(),
): Promise<{ product: ProductInfo; created: boolean }> {
  const res = await env.DB.prepare(
    "INSERT INTO products(id, first_seen_at, last_seen_at) VALUES (?1, ?2, ?2) ON CONFLICT(id) DO NOTHING",
  )
    .bind(productId, now)
    .run();
  known.add(productId);
  const created = (res.meta.changes ?? 0) > 0;
  if (created) return { product: { id: productId, createdAt: now }, created };
  const row = await env.DB.prepare("SELECT first_seen_at AS createdAt FROM products WHERE id = ?")
    .bind(productId)
    .first<{ createdAt: number }>();
  return { product: { id: productId, createdAt: row?.createdAt ?? now }, created };
}

/** Every product, oldest first. */
export async function listProducts(env: Env): Promise<ProductInfo[]> {
  const { results } = await env.DB.prepare(
    "SELECT id, first_seen_at AS createdAt FROM products ORDER BY first_seen_at, id",
  ).all<ProductInfo>();
  return results;
}

export async function productExists(env: Env, productId: string): Promise<boolean> {
  if (known.has(productId)) return true;
  const row = await env.DB.prepare("SELECT 1 AS x FROM products WHERE id = ?").bind(productId).first();
  if (row) known.add(productId);
  return row !== null;
}

/** @throws DomainError `not_found` (with `what: "product"`) unless `productId` was created. */
export async function requireProduct(env: Env, productId: string): Promise<void> {
  if (await productExists(env, productId)) return;
  throw new DomainError(
    "not_found",
    `product ${productId} does not exist; the admin creates it with POST /api/v1/products (gigafactory products create ${productId})`,
    { what: "product", id: productId },
  );
}

/**
 * The 401 for a credential no product knows. An enrollment code (`gfe_…`) is named as one: a host that used its code
 * twice read "token is not recognised, or was revoked or rotated" and looked for a token it never had.
 */
export function unknownToken(credential = ""): DomainError {
  if (credential.startsWith("gfe_"))
    return new DomainError(
      "unauthorized",
      "enrollment code is not recognised: it was used already, has expired or was revoked, or it is mistyped",
    );
  return new DomainError("unauthorized", "token is not recognised, or was revoked or rotated");
}
