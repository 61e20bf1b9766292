/**
 * @module worker/method-not-allowed
 * A request whose path is a route but whose method is not one of the route's gets 405 `method_not_allowed` with an
 * `Allow` header naming the methods that path takes (RFC 9110 §15.5.6: a 405 must send `Allow`), not 404 "no route"
 * — which told a client that sent `DELETE …/budget` the budget did not exist. The methods are read from the Worker's
 * own router table, so a route added in any file counts the day it is added.
 */
import type { Context, Hono } from "hono";
import { clipUtf8 } from "../core/bytes.ts";
import { DomainError } from "../core/errors.ts";
import type { AppEnv } from "./auth.ts";
import { problemResponse } from "./problem.ts";

/** One route's path pattern as a matcher, and the method it answers. */
type Route = { method: string; matches: RegExp };

/**
 * A Hono path pattern (`/api/v1/products/:productId/jobs/:jobId`) as a whole-path matcher: a `:name` that starts a
 * segment is any one segment; everything else is literal (`/jobs:batch` is a path, not a parameter). Exactly as the
 * router matches, so no trailing slash: the router is strict, and a matcher that took `/health/` as `/health` answered
 * `GET /api/v1/health/` 405 "takes GET, HEAD, not GET".
 */
export function pathMatcher(pattern: string): RegExp {
  const segments = pattern
    .split("/")
    .map((s) => (s.startsWith(":") ? "[^/]+" : s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${segments.join("/")}$`);
}

/**
 * The methods `path` is routed for, upper case and sorted, HEAD with every GET (Hono answers HEAD from GET);
 * empty when no route has that path. Middleware (`ALL`) is not a route.
 * @param routes - the app's router table (`app.routes`)
 */
export function allowedMethods(routes: readonly Route[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) if (r.matches.test(path)) methods.add(r.method);
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}

/**
 * The app's `notFound` handler: 405 with `Allow` when the path is routed for other methods, else 404 "no route".
 * The router table is read once, on the first unrouted request (every route is registered by then).
 */
export function unrouted(app: Hono<AppEnv>): (c: Context<AppEnv>) => Response {
  let routes: Route[] | undefined;
  return (c) => {
    routes ??= app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method.toUpperCase(), matches: pathMatcher(r.path) }));
    const allow = allowedMethods(routes, c.req.path);
    // The path and method are the caller's input, echoed at most ISSUE_TEXT_BYTES each (core/bytes): a 20 KB path
    // came back whole in the detail, in every log line and CLI error that carries it.
    const [path, method] = [clipUtf8(c.req.path), clipUtf8(c.req.method)];
    if (allow.length === 0) {
      // A trailing slash is another path to the router: the 404 names the path that is routed.
      const bare = c.req.path.replace(/\/+$/, "");
      const near = bare !== c.req.path && bare !== "" ? allowedMethods(routes, bare) : [];
      const hint = near.length > 0 ? `; ${clipUtf8(bare)} (no trailing slash) takes ${near.join(", ")}` : "";
      return problemResponse(c, new DomainError("not_found", `no route for ${method} ${path}${hint}`));
    }
    const refused = new DomainError("method_not_allowed", `${path} takes ${allow.join(", ")}, not ${method}`);
    const res = problemResponse(c, refused);
    res.headers.set("allow", allow.join(", "));
    return res;
  };
}
