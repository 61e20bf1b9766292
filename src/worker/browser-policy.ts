/**
 * @module worker/browser-policy
 * What the API tells browsers: security headers on every response, and CORS
 * for exactly the dashboard origins the deployment names (`DASHBOARD_ORIGINS`
 * in wrangler.toml, comma-separated, e.g. `https://gigafactory-dash.pages.dev`)
 * — so the dashboard can live on its own origin (Pages) and call this API,
 * while every other site's script is refused by the browser.
 *
 * The API answers JSON, event streams and artifact bytes, never a page: its
 * Content-Security-Policy allows nothing (`default-src 'none'`), so even an
 * artifact a browser were tricked into rendering could run no script, and
 * `nosniff` stops a browser from guessing a script or a page out of a
 * `text/plain` or JSON body. CORS needs no credentials mode: the API reads a
 * bearer header, never a cookie, so allowing an origin grants it nothing that
 * it does not already hold a token for.
 */
import type { MiddlewareHandler } from "hono";
import { DomainError } from "../core/errors.ts";
import type { AppEnv } from "./auth.ts";
import { problemResponse } from "./problem.ts";

/** Applied to every API response (the dashboard's own files get theirs from `dashboard/_headers`). */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-site",
};

/**
 * What a configured origin may send: every method the API routes and every request header the OpenAPI document
 * declares (bearer token, JSON bodies, idempotent submits, SSE resume, an artifact's ETag). A dashboard on its own
 * origin reaches the API only through these; one left out works same-origin and fails only deployed apart (PUT
 * `…/budget` and `…/webhook`, and If-None-Match, were). test/integration/browser-policy walks the document.
 */
const ALLOWED_HEADERS = "authorization, content-type, idempotency-key, last-event-id, if-none-match, range, if-range";
const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";
/** Response headers a dashboard may read beyond the CORS-safelisted ones. */
export const EXPOSED_HEADERS =
  "idempotent-replayed, etag, x-content-sha256, content-disposition, content-length, content-range, accept-ranges, retry-after";
/** Preflights cached for 10 minutes: the allowed origins change only with a deploy. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * The configured origins, normalised (`scheme://host[:port]`, no trailing slash).
 * Anything that is not an http(s) origin is ignored, so `*` can never be configured.
 */
export function allowedOrigins(setting: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const raw of (setting ?? "").split(",")) {
    const s = raw.trim();
    if (!s) continue;
    try {
      const u = new URL(s);
      if ((u.protocol === "https:" || u.protocol === "http:") && u.origin === s.replace(/\/$/, "")) out.add(u.origin);
    } catch {
      /* not an origin: ignored */
    }
  }
  return out;
}

function setAll(res: Response, headers: Record<string, string>): Response {
  let out = res;
  try {
    for (const [k, v] of Object.entries(headers)) out.headers.set(k, v);
  } catch {
    // Headers of a Response fetched from a Durable Object are immutable: copy it once.
    out = new Response(res.body, res);
    for (const [k, v] of Object.entries(headers)) out.headers.set(k, v);
  }
  return out;
}

/**
 * The API's policy, plus `sandbox` when the answer asked for one (an artifact's bytes: worker/artifact-headers).
 * Overwriting the answer's own policy dropped it, so an artifact a browser rendered anyway ran in the API's origin.
 */
function policyFor(own: string | null): string {
  const csp = API_SECURITY_HEADERS["content-security-policy"] as string;
  return own && /(^|;)\s*sandbox\s*(;|$)/.test(own) ? `${csp}; sandbox` : csp;
}

/** Security headers on every response except a WebSocket upgrade (a 101 carries no body to protect). */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.res.status === 101) return;
  const csp = policyFor(c.res.headers.get("content-security-policy"));
  const res = setAll(c.res, { ...API_SECURITY_HEADERS, "content-security-policy": csp });
  if (res !== c.res) c.res = res;
};

/**
 * CORS for the configured dashboard origins only. A preflight from one of
 * them is answered `204` with what it may send; from any other origin, `403` (a problem+json like every refusal)
 * with no CORS headers (the browser then refuses the request). Simple
 * requests from other origins are served without CORS headers, so the browser
 * hides the answer from the calling script. The Origin is within its byte limit here (worker/header-limits, the
 * middleware before this one): one past it is a 400, not compared with every configured origin.
 */
export const cors: MiddlewareHandler<AppEnv> = async (c, next) => {
  const origin = c.req.header("origin");
  const allowed = origin !== undefined && allowedOrigins(c.env.DASHBOARD_ORIGINS).has(origin);
  if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
    if (!allowed) {
      const refused = problemResponse(
        c,
        new DomainError("forbidden", "this origin may not call the API from a browser"),
      );
      refused.headers.set("vary", "Origin");
      return refused;
    }
    return c.body(null, 204, {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": ALLOWED_HEADERS,
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_S),
      vary: "Origin",
    });
  }
  await next();
  if (c.res.status === 101) return;
  // Added to the answer's own Vary (GET …/metrics varies by Accept), never in its place.
  const vary = c.res.headers.get("vary");
  const headers: Record<string, string> = {
    vary: !vary ? "Origin" : /\borigin\b/i.test(vary) ? vary : `${vary}, Origin`,
  };
  if (allowed) {
    headers["access-control-allow-origin"] = origin;
    headers["access-control-expose-headers"] = EXPOSED_HEADERS;
  }
  const res = setAll(c.res, headers);
  if (res !== c.res) c.res = res;
};
