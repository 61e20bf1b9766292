/**
 * @module worker/auth
 * Bearer-token authentication and role checks. Tokens are `gf_<product>_<secret>`
 * (the admin token is the deployment secret). Only SHA-256 hashes are ever
 * compared or stored; each request asks the product's coordinator, so revoking
 * or rotating a token takes effect on the next request. A valid token presented
 * on another product's path is told `403` (it is real, just not for this
 * product); anything unrecognised is `401`; the admin naming a product that was
 * never created is told `404`.
 *
 * Least privilege: a factory token reads only the jobs it holds or held (their
 * record, runs, events, feed and artifacts) and the queue version — never the
 * product's other jobs, its fleet, its history or its audit log.
 */
import type { Context, MiddlewareHandler } from "hono";
import { DomainError, unwrap } from "../core/errors.ts";
import { ADMIN_REVIEWER, type Reviewer } from "../core/review.ts";
import { ProductId } from "../shared/api.ts";
import type { Principal as StoredPrincipal } from "../shared/coordinator-rpc.ts";
import { bearerToken } from "./bearer-token.ts";
import { fromZod } from "./problem.ts";
import { productExists, requireProduct, unknownToken } from "./products.ts";

export type Principal = { kind: "admin" } | StoredPrincipal;
export type Role = "member" | "viewer" | "operator" | "admin" | "factory" | "enrollment";

/** Who opened a feed stream or asked for a ticket: the admin, or the SHA-256 of the token (what revocation names). */
export type Opener = "admin" | string;

export interface AuthVars {
  productId: string;
  principal: Principal;
  /** SHA-256 (hex) of the bearer token this request authenticated with. */
  tokenHash: string;
  coordinator: DurableObjectStub<import("../durable-objects/product-coordinator.ts").ProductCoordinator>;
}

export type AppEnv = { Bindings: Env; Variables: AuthVars };

/** `gf_` tokens and `gfe_` one-time enrollment codes both name their product. */
const TOKEN_RE = /^gfe?_([a-z0-9][a-z0-9-]{0,62})_([A-Za-z0-9_-]{43})$/;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new secret token for `productId`: 256 random bits, base64url. */
export function newToken(productId: string, prefix: "gf" | "gfe" = "gf"): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  const secret = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
  return `${prefix}_${productId}_${secret}`;
}

/** Constant-time comparison of two equal-length hex digests. */
function sameDigest(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

export function coordinatorFor(env: Env, productId: string) {
  return env.COORDINATOR.getByName(productId);
}

export async function resolvePrincipal(env: Env, productId: string, token: string): Promise<Principal> {
  return (await authenticateToken(env, productId, token)).principal;
}

/** The admin token's digest, kept with the token it was made from: hashed once per isolate, not per request. */
let adminDigest: { token: string; hex: string } | undefined;

/**
 * The deployment's admin token (the `GIGAFACTORY_ADMIN_TOKEN` secret) without surrounding whitespace; undefined when
 * unset or blank. `echo "$T" | wrangler secret put …` stores "T\n" (wrangler keeps stdin whole), and a bearer header
 * never carries whitespace (bearerToken): taken as stored, such a secret refused its own admin with a bare 401.
 */
export function adminToken(env: Env): string | undefined {
  return env.GIGAFACTORY_ADMIN_TOKEN?.trim() || undefined;
}

/** Whether `hash` is the digest of the deployment's admin token (compared in constant time). */
async function isAdminHash(env: Env, hash: string): Promise<boolean> {
  const admin = adminToken(env);
  if (!admin) return false;
  if (adminDigest?.token !== admin) adminDigest = { token: admin, hex: await sha256Hex(admin) };
  return sameDigest(hash, adminDigest.hex);
}

/**
 * The principal behind `token` on `productId`, and the token's hash.
 * @throws DomainError `unauthorized` (unknown, revoked), `forbidden` (another product's token),
 *   `not_found` (the admin on a product that was never created).
 */
export async function authenticateToken(
  env: Env,
  productId: string,
  token: string,
): Promise<{ principal: Principal; hash: string }> {
  const hash = await sha256Hex(token);
  if (await isAdminHash(env, hash)) {
    // Products are created explicitly (POST /api/v1/products): a typo must not conjure one.
    await requireProduct(env, productId);
    return { principal: { kind: "admin" }, hash };
  }
  const m = TOKEN_RE.exec(token);
  if (!m?.[1]) throw unknownToken(token);
  const owner = m[1];
  // Only a product that exists has a coordinator to ask: never create one for a stranger.
  if (!(await productExists(env, owner))) throw unknownToken(token);
  const found = await unwrap(coordinatorFor(env, owner).authenticate(owner, hash));
  if (!found) throw unknownToken(token);
  if (owner !== productId) {
    throw new DomainError("forbidden", `this token belongs to another product and cannot act on ${productId}`);
  }
  return { principal: found, hash };
}

/** Middleware for `/products/:productId/*`: validates the id, authenticates, binds the coordinator. */
export const productAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const parsed = ProductId.safeParse(c.req.param("productId"));
  if (!parsed.success) throw fromZod("productId", parsed.error);
  const productId = parsed.data;
  c.set("productId", productId);
  const { principal, hash } = await authenticateToken(c.env, productId, bearerToken(c));
  c.set("principal", principal);
  c.set("tokenHash", hash);
  c.set("coordinator", coordinatorFor(c.env, productId));
  await next();
};

function roleOf(p: Principal): Role {
  switch (p.kind) {
    case "admin":
      return "admin";
    case "factory":
      return "factory";
    case "enrollment":
      return "enrollment";
    case "token":
      return p.role;
  }
}

const ALLOWED: Record<Role, readonly Role[]> = {
  // Product-wide reads that a factory needs too: only the queue version.
  member: ["viewer", "operator", "admin", "factory"],
  // Product-wide reads (all jobs, fleet, history, audit log): people, not factories.
  viewer: ["viewer", "operator", "admin"],
  operator: ["operator", "admin"],
  admin: ["admin"],
  factory: ["factory"],
  enrollment: ["enrollment", "operator", "admin"],
};

/** Refuse with 403 unless the caller's role is allowed to do what `need` names. */
export function requireRole(c: Context<AppEnv>, need: Role): Principal {
  const p = c.get("principal");
  // A spent code is a credential only for resuming its own enrollment: anywhere else, the 401 it always got.
  if (p.kind === "enrollment" && p.spent && need !== "enrollment") throw unknownToken("gfe_");
  if (!ALLOWED[need].includes(roleOf(p))) {
    throw new DomainError("forbidden", `this needs ${article(need)} token; yours is ${article(roleOf(p))} token`);
  }
  return p;
}

/**
 * Refuse with 403 unless the caller may read job `jobId`: a viewer (or above)
 * reads every job; a factory only a job it holds or held (one indexed lookup
 * in the coordinator, paid by factory callers only).
 * @throws DomainError `forbidden`, or `not_found` when a factory names a job that does not exist.
 */
export async function requireJobReader(c: Context<AppEnv>, jobId: string): Promise<Principal> {
  const p = c.get("principal");
  if (p.kind !== "factory") return requireRole(c, "viewer");
  await unwrap(c.get("coordinator").checkFactoryRead(c.get("productId"), p.factoryId, jobId));
  return p;
}

/** Who this request is, as a stream or ticket records it: "admin" or its token hash. */
export function openerOf(c: Context<AppEnv>): Opener {
  return c.get("principal").kind === "admin" ? "admin" : c.get("tokenHash");
}

/**
 * For the few routes above products (`/api/v1/products`): the admin token, or
 * 403 for a real product token, or 401.
 */
export async function requireAdmin(c: Context<AppEnv>): Promise<void> {
  const token = bearerToken(c);
  if (await isAdminHash(c.env, await sha256Hex(token))) return;
  const owner = TOKEN_RE.exec(token)?.[1];
  if (!owner) throw unknownToken();
  await resolvePrincipal(c.env, owner, token); // throws 401 unless the token is real
  throw new DomainError("forbidden", "this needs the admin token");
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

export function factoryIdOf(c: Context<AppEnv>): string {
  const p = requireRole(c, "factory");
  if (p.kind !== "factory") throw new DomainError("forbidden", "this needs a factory token");
  return p.factoryId;
}

/** How the audit log names the caller. */
export function actorOf(p: Principal): string {
  switch (p.kind) {
    case "admin":
      return "admin";
    case "factory":
      return `factory:${p.factoryId}`;
    case "token":
      return `${p.role}:${p.name}`;
    case "enrollment":
      return `enrollment:${p.codeId}`;
  }
}

/**
 * Who reviews, as the review gate counts (core/review): the credential's stable id and display name — an
 * operator token's id and name, "admin" for the deployment's admin token (one secret, one reviewer).
 */
export function reviewerOf(p: Principal): Reviewer {
  switch (p.kind) {
    case "admin":
      return { ...ADMIN_REVIEWER };
    case "token":
      return { id: p.tokenId, name: p.name };
    case "factory":
      return { id: p.factoryId, name: `factory:${p.factoryId}` };
    case "enrollment":
      return { id: p.codeId, name: `enrollment:${p.codeId}` };
  }
}
