/**
 * @module worker/routes/events
 * A job's event feed: paged REST reads, a WebSocket that replays from `after`
 * then streams live, SSE honouring `Last-Event-ID`, and tickets for browsers.
 * Replays are paged at the watcher's pace, and a job has at most MAX_WATCHERS
 * watchers: one more is refused with 429 `limit_exceeded` and `Retry-After` — asked of the feed before the
 * coordinator registers the stream (feed/watcher-slots), so a refused reconnect costs it little. A read — a page, or
 * a live feed — `after` a seq past the feed's last is refused with 416
 * `after_beyond_feed`, before any upgrade or stream starts.
 * The feed endpoints authenticate with the bearer header OR a ticket, so they
 * are mounted before the header-only product middleware.
 */
import { type Context, Hono } from "hono";
import { DomainError, unwrap } from "../../core/errors.ts";
import { ADMIN_OPENER } from "../../durable-objects/feed/revocation.ts";
import {
  AFTER_BEYOND_STATUS,
  type JobFeed,
  PASS_PARAM,
  refusalDetail,
  SSE_HEADERS,
  WATCHER_CAP_STATUS,
} from "../../durable-objects/job-feed.ts";
import { EntityId, EventsQuery, FeedQuery, LastEventIdHeader, ProductId } from "../../shared/api.ts";
import { feedName } from "../../shared/coordinator-rpc.ts";
import type { JobEvent } from "../../shared/protocol.ts";
import { type AppEnv, coordinatorFor, openerOf, requireJobReader } from "../auth.ts";
import { authenticateFeed, type FeedGrant, openerParam, registerFeed, releaseFeed } from "../feed-access.ts";
import { fromZod } from "../problem.ts";
import { issueTicket } from "../tickets.ts";
import { header, noBody, noQuery, param, query } from "../validate.ts";

/**
 * Seconds a watcher refused at the job's watcher cap (429) is told to wait (`Retry-After`, `retryAfterSeconds`):
 * long enough that a storm of refused reconnects does not hammer the feed, short enough that a slot another watcher
 * frees is taken soon. Clients add their own jitter on top, so the refused do not all come back at once.
 */
export const WATCHER_CAP_RETRY_AFTER_S = 5;

/** Header-authenticated reads (mounted under the product middleware). */
export const events = new Hono<AppEnv>();

events.get("/jobs/:jobId/events", async (c) => {
  const id = param(c, "jobId", EntityId);
  await requireJobReader(c, id);
  const q = query(c, EventsQuery);
  // Ships held events first, all of them (503 else): the page's lastSeq reads as the log's end.
  await unwrap(c.get("coordinator").openFeed(c.get("productId"), id, true, openerOf(c)));
  // Typed by hand: the RPC stub's type of a JobEvent (`data: Record<string, unknown>`) is `never`.
  const page: { events: JobEvent[]; lastSeq: number } = await c.env.JOB_FEED.getByName(
    feedName(c.get("productId"), id),
  ).list(q.after, q.limit);
  // Refused like the live feeds': a poller at such an `after` got empty pages until the log passed it, then the
  // events after it — the ones between the feed's last seq and `after` skipped without a word.
  if (q.after > page.lastSeq) throw afterBeyondFeed(q.after, page.lastSeq);
  return c.json(page);
});

events.post("/jobs/:jobId/events/ticket", async (c) => {
  const id = param(c, "jobId", EntityId);
  await requireJobReader(c, id);
  noQuery(c);
  await noBody(c);
  await unwrap(c.get("coordinator").getJob(c.get("productId"), id));
  return c.json(await issueTicket(c.env, c.get("productId"), id, openerOf(c), Date.now()), 201);
});

/** Live feeds: bearer header or `?ticket=`; proxied to the job's JobFeed object. */
export const feeds = new Hono<AppEnv>();

for (const kind of ["ws", "stream"] as const) {
  feeds.get(`/jobs/:jobId/events/${kind}`, async (c) => {
    const product = ProductId.safeParse(c.req.param("productId"));
    if (!product.success) throw fromZod("productId", product.error);
    const productId = product.data;
    const jobId = param(c, "jobId", EntityId);
    const q = query(c, FeedQuery);
    const grant = await authenticateFeed(c, productId, jobId, q.ticket);
    // SSE resumes from the browser's Last-Event-ID (digits only: "1e3" or "-1" are refused; " 5" arrives as "5", HTTP trims header values); `after` wins.
    // Read after the caller is known: a stranger with a bad header gets 401, not a 400 about the header.
    const resume = header(c, "Last-Event-ID", LastEventIdHeader);
    if (kind === "ws" && c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      throw new DomainError("upgrade_required", "this endpoint needs a WebSocket upgrade (Upgrade: websocket)");
    }
    if (c.req.method === "HEAD") return await headOfFeed(c, grant, kind);
    const feed = c.env.JOB_FEED.getByName(feedName(productId, jobId));
    const after = q.after ?? resume ?? 0;
    // Only now, the request being one the feed takes: a refused one must not use its ticket up.
    const { opener, pass } = await openStream(c, grant, feed, after);
    const url = `https://feed/${kind}?after=${after}${openerParam(opener)}&${PASS_PARAM}=${pass}`;
    const res = await feed.fetch(new Request(url, { headers: c.req.raw.headers }));
    // The feed counts its own watchers (it alone knows them); its refusal becomes a problem+json like any other, and
    // leaves the ticket unused, as the refusals above do: no stream opened with it. With a pass it is rare: only a
    // pass that lapsed or was lost with the feed object (feed/watcher-slots) meets the cap here; a resume point past
    // the feed's end only when openStream could not ask before registering (not a ticket's nor a factory's).
    if (res.status === WATCHER_CAP_STATUS) {
      await releaseFeed(c, grant);
      throw atWatcherCap(await res.text());
    }
    if (res.status === AFTER_BEYOND_STATUS) {
      await releaseFeed(c, grant);
      throw afterBeyondFeed(after, ((await res.json()) as { lastSeq: number }).lastSeq);
    }
    return res;
  });
}

/**
 * Reserve the stream's slot at the job's feed, register it with the coordinator and open the feed (held events
 * shipped first): the opener it is registered under, and the pass the feed admits it with. The watcher cap is asked
 * as soon as the job is known to exist — at once when authenticating it showed that (a ticket, signed for this job
 * after it was read; a factory's read check), after the registration for another token (which reads the job), after
 * `openFeed` for the admin (registered nowhere) — never earlier: a feed object is made by being called, and an id
 * nobody submitted must not leave one behind. So a reconnect refused at the cap costs the coordinator no call with a
 * ticket, one with the admin's token, and one besides its authentication with another token — not the three
 * (register, open, unspend) it cost when only the accept counted.
 * A resume point past the feed's end is refused before the registration the same way (`refuseBeyondFeed`).
 * @throws DomainError `limit_exceeded` (429: the cap), `after_beyond_feed` (416), and what registerFeed and openFeed
 *   throw (the slot freed).
 */
async function openStream(c: Context<AppEnv>, grant: FeedGrant, feed: DurableObjectStub<JobFeed>, after: number) {
  const { productId, jobId } = grant;
  let pass = grant.jobSeen ? await reserve(feed, grant.opener) : undefined;
  try {
    const opened = grant.jobSeen && (await refuseBeyondFeed(c, grant, feed, after));
    const opener = await registerFeed(c, grant);
    if (opener !== ADMIN_OPENER) pass ??= await reserve(feed, grant.opener);
    if (!opened) await unwrap(coordinatorFor(c.env, productId).openFeed(productId, jobId, false, grant.opener)); // ships held events first
    pass ??= await reserve(feed, grant.opener);
    return { opener, pass };
  } catch (err) {
    // Best effort: a pass not released lapses by itself (feed/watcher-slots PASS_TTL_MS); the refusal is what counts.
    if (pass !== undefined) await feed.releaseWatcher(pass).catch(() => undefined);
    throw err;
  }
}

/**
 * A resume point past the feed's end refused before the stream is registered, for a request whose job is known to
 * exist (`jobSeen`): asked only after the feed's own last seq is below `after` are the job's held events shipped
 * (`openFeed`, the one coordinator call) and the feed asked again — so a refused resume costs a ticket holder one
 * call, not the three (register spending the ticket, open, unspend) it cost when only the feed's accept checked it.
 * `after` 0 is never past the end, and costs nothing here. Returns whether it opened the feed (held events shipped).
 * @throws DomainError `after_beyond_feed` (416), and what openFeed throws
 */
async function refuseBeyondFeed(
  c: Context<AppEnv>,
  grant: FeedGrant,
  feed: DurableObjectStub<JobFeed>,
  after: number,
): Promise<boolean> {
  if (after === 0 || after <= (await lastSeqOf(feed))) return false;
  await unwrap(coordinatorFor(c.env, grant.productId).openFeed(grant.productId, grant.jobId, false, grant.opener));
  const lastSeq = await lastSeqOf(feed);
  if (after > lastSeq) throw afterBeyondFeed(after, lastSeq);
  return true;
}

/** The feed's last seq (a page of at most one event read with it). */
async function lastSeqOf(feed: DurableObjectStub<JobFeed>): Promise<number> {
  // Typed by hand: the RPC stub's type of a JobEvent (`data: Record<string, unknown>`) is `never`.
  const page: { lastSeq: number } = await feed.list(Number.MAX_SAFE_INTEGER, 1);
  return page.lastSeq;
}

/** A pass for one more watcher of `feed` opened by `opener`, or the 429 at the job's cap or the token's own. */
async function reserve(feed: DurableObjectStub<JobFeed>, opener: string): Promise<string> {
  const slot = await feed.reserveWatcher(opener);
  if (!("pass" in slot)) throw atWatcherCap(refusalDetail(slot));
  return slot.pass;
}

/**
 * The watcher cap's 429, saying when to try again, as a header (RFC 9110 §10.2.3) and in the problem for clients that
 * read only the body (the CLI): a watcher refused at the cap is let in once another leaves, so it is worth a later
 * try — not a final refusal that ended a watch at once when a reconnect storm filled the job's slots for a moment.
 */
function atWatcherCap(detail: string): DomainError {
  // Its Retry-After is written from retryAfterSeconds (worker/problem `problemResponse`), as every wait is.
  return new DomainError("limit_exceeded", detail, { retryAfterSeconds: WATCHER_CAP_RETRY_AFTER_S });
}

/**
 * `HEAD …/events/stream` (Hono answers HEAD from this GET route): the headers a GET gets once its caller, query and
 * job check out — and nothing opened: no ticket used, no watcher registered, no stream. A HEAD's body is never read,
 * so the stream it opened stayed in the job's feed, counting toward its watcher cap and kept awake by the keep-alive:
 * MAX_WATCHERS HEADs locked every watcher of the job out with 429 until the feed was evicted, and the ticket a browser
 * probed with was spent. The feed's own refusals (its cap, `after` past its log) are a GET's to meet. A WebSocket
 * handshake is a GET (RFC 6455 §4.1): a HEAD with `Upgrade: websocket` is 426 like a GET without it.
 * @throws DomainError `upgrade_required` (426) for `ws`, `unauthorized` (401) for a ticket whose token was revoked,
 *   `not_found` (404) for a job that does not exist
 */
async function headOfFeed(c: Context<AppEnv>, grant: FeedGrant, kind: "ws" | "stream") {
  if (kind === "ws") throw new DomainError("upgrade_required", "a WebSocket handshake is a GET, not a HEAD");
  const { productId, jobId, opener } = grant;
  const coordinator = coordinatorFor(c.env, productId);
  // A ticket names its token; a GET re-checks it when registering, a HEAD reads it (nothing spent): revoked, a 401.
  if (grant.ticket && opener !== ADMIN_OPENER && !(await unwrap(coordinator.authenticate(productId, opener)))) {
    throw new DomainError("unauthorized", "the token this ticket was issued to was revoked or rotated");
  }
  await unwrap(coordinator.getJob(productId, jobId));
  return new Response(null, { headers: SSE_HEADERS });
}

/**
 * A resume point the feed never reached. Seqs come from the feed only (held events are shipped before this is
 * checked: coordinator `openFeed`), and stay monotonic across a retention purge, so a client cannot have seen it.
 */
function afterBeyondFeed(after: number, lastSeq: number): DomainError {
  return new DomainError(
    "after_beyond_feed",
    `resume point ${after} is past this job's feed, whose last seq is ${lastSeq}: resume after a seq the feed sent`,
    { after, lastSeq },
  );
}
