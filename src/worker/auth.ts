/**
 * @module worker/auth
 * Bearer-token authentication and role checks. Tokens are `gf_<product>_<secret>`
 * (the admin token is the deployment secret). Only SHA-256 hashes are ever
 * compared or stored; each request asks the product's coordinator, so revoking
 * or rotating a token takes effect on the next request. A valid token presented
 * on another product's path is told `403` (it is real, just not for this
 * product); anything unrecognised is `401`.
 */
import type { Context, MiddlewareHandler } from "hono";
import { DomainError, unwrap } from "../core/errors.ts";
import type { Principal as StoredPrincipal } from "../durable-objects/coordinator/tokens.ts";
import { ProductId } from "../shared/api.ts";
import { fromZod } from "./problem.ts";
import { productExists, registerProduct, unknownToken } from "./products.ts";

export type Principal = { kind: "admin" } | StoredPrincipal;
export type Role = "viewer" | "operator" | "admin" | "factory" | "enrollment";

export interface AuthVars {
  productId: string;
  principal: Principal;
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

export function bearerToken(c: Context): string {
  const header = c.req.header("authorization");
  const m = header ? /^Bearer\s+(\S{1,512})\s*$/i.exec(header) : null;
  if (!m?.[1]) throw new DomainError("unauthorized", "send Authorization: Bearer <token>");
  return m[1];
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
  const hash = await sha256Hex(token);
  const admin = env.GIGAFACTORY_ADMIN_TOKEN;
  if (admin && sameDigest(hash, await sha256Hex(admin))) {
    // The admin acting on a product is what brings it into existence.
    await registerProduct(env, productId);
    return { kind: "admin" };
  }
  const m = TOKEN_RE.exec(token);
  if (!m?.[1]) throw unknownToken();
  const owner = m[1];
  // Only a product that exists has a coordinator to ask: never create one for a stranger.
  if (!(await productExists(env, owner))) throw unknownToken();
  const found = await unwrap(coordinatorFor(env, owner).authenticate(owner, hash));
  if (!found) throw unknownToken();
  if (owner !== productId) {
    throw new DomainError("forbidden", `this token belongs to another product and cannot act on ${productId}`);
  }
  return found;
}

/** Middleware for `/products/:productId/*`: validates the id, authenticates, binds the coordinator. */
export const productAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const parsed = ProductId.safeParse(c.req.param("productId"));
  if (!parsed.success) throw fromZod("productId", parsed.error);
  const productId = parsed.data;
  c.set("productId", productId);
  c.set("principal", await resolvePrincipal(c.env, productId, bearerToken(c)));
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
  viewer: ["viewer", "operator", "admin", "factory"],
  operator: ["operator", "admin"],
  admin: ["admin"],
  factory: ["factory"],
  enrollment: ["enrollment", "operator", "admin"],
};

/** Refuse with 403 unless the caller's role is allowed to do what `need` names. */
export function requireRole(c: Context<AppEnv>, need: Role): Principal {
  const p = c.get("principal");
  if (!ALLOWED[need].includes(roleOf(p))) {
    throw new DomainError("forbidden", `this needs ${article(need)} token; yours is ${article(roleOf(p))} token`);
  }
  return p;
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
