/**
 * @module worker/routes/whoami
 * `GET …/whoami`: who the request's bearer token is on the product — `{product, role, actor}`, and a minted token's
 * id and name (a factory's id and name) — so the dashboard offers only what the role may do and `gigafactory whoami` can say
 * which token it is using. Any token of the product (viewer or above, or a factory) and the admin token; another
 * product's token is refused 403 and an unknown one 401 by the middleware (worker/auth productAuth), as everywhere.
 * Costs nothing beyond the authentication every request pays: the principal is already known, nothing else is read.
 */
import { Hono } from "hono";
import { DomainError } from "../../core/errors.ts";
import type { Whoami } from "../../shared/api-whoami.ts";
import { type AppEnv, actorOf, type Principal, requireRole } from "../auth.ts";
import { noQuery } from "../validate.ts";

export const whoami = new Hono<AppEnv>();

whoami.get("/whoami", (c) => {
  const principal = requireRole(c, "member");
  noQuery(c);
  return c.json(whoamiOf(c.get("productId"), principal));
});

/**
 * The answer for `principal` on `product`. The role is worker/auth's for the principal (its `roleOf`, which it keeps
 * to itself).
 * @throws DomainError forbidden — a one-time enrollment code, which the route's `member` already refuses
 */
export function whoamiOf(product: string, principal: Principal): Whoami {
  const actor = actorOf(principal);
  switch (principal.kind) {
    case "admin":
      return { product, role: "admin", actor };
    case "token":
      return { product, role: principal.role, actor, tokenId: principal.tokenId, tokenName: principal.name };
    case "factory":
      // Its name beside its id: the CLI names factories so everywhere (cli/factory-names), and a factory's token may
      // not read the fleet list that would name it.
      return { product, role: "factory", actor, factoryId: principal.factoryId, factoryName: principal.name };
    case "enrollment":
      throw new DomainError("forbidden", "a one-time enrollment code is for enrolling a factory, nothing else");
  }
}
