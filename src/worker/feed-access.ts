/**
 * @module worker/feed-access
 * Who may open a job's live feed (WebSocket or SSE), and under which
 * credential the stream is then registered: a bearer token (viewer or above;
 * a factory only for a job it holds or held; never an enrollment code), or a
 * ticket — which counts only while the token it was issued to is still live,
 * and only once.
 * Every stream not opened by the admin is recorded with the coordinator under
 * its token's hash, so revoking that token closes it
 * (durable-objects/feed/revocation).
 */
import type { Context } from "hono";
import { DomainError, unwrap } from "../core/errors.ts";
import { ADMIN_OPENER, OPENED_BY_PARAM } from "../durable-objects/feed/revocation.ts";
import { type AppEnv, authenticateToken, coordinatorFor, type Opener } from "./auth.ts";
import { bearerToken } from "./bearer-token.ts";
import { unknownToken } from "./products.ts";
import { type VerifiedTicket, verifyTicket } from "./tickets.ts";

/** Who a feed request is (`opener`: a token hash or "admin"), and the ticket it would use up, if it came with one. */
export interface FeedGrant {
  productId: string;
  jobId: string;
  opener: Opener;
  ticket?: VerifiedTicket;
  /**
   * Authenticating it showed the job exists (a ticket is signed for a job that was read; a factory's read check reads
   * it): its feed may be asked about its watcher cap before anything else (worker/routes/events `openStream`).
   */
  jobSeen: boolean;
}

/**
 * Authenticate a feed request for `jobId` by its bearer header or `ticket`. Changes nothing: the request may still be
 * refused (a bad `Last-Event-ID`, no WebSocket upgrade), and a ticket must not be used up by a refused request — a
 * browser's ticket, spent on a 400, left it nothing to open its stream with. `registerFeed` then commits it.
 * @throws DomainError `unauthorized` (no / bad / revoked credential), `forbidden` (enrollment code; a factory and a job
 *   it never held), `not_found` (no such job or product).
 */
export async function authenticateFeed(
  c: Context<AppEnv>,
  productId: string,
  jobId: string,
  ticket: string | undefined,
): Promise<FeedGrant> {
  if (c.req.header("authorization")) {
    // The API's own reading (worker/auth `bearerToken`): its limit in bytes, where a copy here counted characters.
    const { principal, hash } = await authenticateToken(c.env, productId, bearerToken(c));
    if (principal.kind === "enrollment" && principal.spent) throw unknownToken("gfe_"); // as worker/auth requireRole
    if (principal.kind === "enrollment") throw new DomainError("forbidden", "an enrollment code cannot read feeds");
    if (principal.kind === "factory") {
      await unwrap(coordinatorFor(c.env, productId).checkFactoryRead(productId, principal.factoryId, jobId));
    }
    const opener = principal.kind === "admin" ? ADMIN_OPENER : hash;
    return { productId, jobId, opener, jobSeen: principal.kind === "factory" };
  }
  if (ticket) {
    const spent = await verifyTicket(c.env, ticket, productId, jobId, Date.now());
    return { productId, jobId, opener: spent.opener, ticket: spent, jobSeen: true };
  }
  throw new DomainError("unauthorized", "send Authorization: Bearer <token>, or ?ticket= from …/events/ticket");
}

/**
 * Register the stream `grant` opens, once the request is otherwise accepted. Re-checks the token (a ticket's too) in
 * the coordinator, serialised with any revocation, and uses the ticket up in the same unit: of two streams opened
 * with one ticket, at once or a minute apart, one is refused. Returns the opener (token hash or "admin").
 * @throws DomainError `unauthorized` (the token revoked meanwhile, a ticket used already), `not_found` (no such job).
 */
export async function registerFeed(c: Context<AppEnv>, grant: FeedGrant): Promise<Opener> {
  const { productId, jobId, opener, ticket } = grant;
  const use = ticket && { hash: ticket.hash, expiresAt: ticket.expiresAt };
  if (opener !== ADMIN_OPENER || use) {
    await unwrap(coordinatorFor(c.env, productId).recordFeedWatcher(productId, jobId, opener, use));
  }
  return opener;
}

/**
 * The job's feed refused the stream `grant` registered (its watcher cap, a resume point past its log): a ticket it
 * came with is unused again, as one a refusal before `registerFeed` leaves — the browser retries with it.
 */
export async function releaseFeed(c: Context<AppEnv>, grant: FeedGrant): Promise<void> {
  if (grant.ticket)
    await unwrap(coordinatorFor(c.env, grant.productId).unspendFeedTicket(grant.productId, grant.ticket.hash));
}

/** The query string that tells the job's feed object who opened the stream. */
export function openerParam(opener: Opener): string {
  return `&${OPENED_BY_PARAM}=${encodeURIComponent(opener)}`;
}
