/**
 * @module worker/routes/events
 * A job's event feed: paged REST reads, a WebSocket that replays from `after`
 * then streams live, SSE honouring `Last-Event-ID`, and tickets for browsers.
 * Replays are paged at the watcher's pace, and a job has at most MAX_WATCHERS
 * watchers: one more is refused with 429 `limit_exceeded` and `Retry-After`. A read — a page, or
 * a live feed — `after` a seq past the feed's last is refused with 416
 * `after_beyond_feed`, before any upgrade or stream starts.
 * The feed endpoints authenticate with the bearer header OR a ticket, so they
 * are mounted before the header-only product middleware.
 */
import { type Context, Hono } from "hono";
import { DomainError, unwrap } from "../../core/errors.ts";
import { AFTER_BEYOND_STATUS, SSE_HEADERS, WATCHER_CAP_STATUS } from "../../durable-objects/job-feed.ts";
import { EntityId, EventsQuery, FeedQuery, LastEventIdHeader, ProductId } from "../../shared/api.ts";
import { feedName } from "../../shared/coordinator-rpc.ts";
import type { JobEvent } from "../../shared/protocol.ts";
import { type AppEnv, coordinatorFor, openerOf, requireJobReader } from "../auth.ts";
import { authenticateFeed, openerParam, registerFeed, releaseFeed } from "../feed-access.ts";
import { fromZod } from "../problem.ts";
import { issueTicket } from "../tickets.ts";
import { header, noQuery, param, query } from "../validate.ts";

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
  await unwrap(c.get("coordinator").openFeed(c.get("productId"), id)); // ships held events first
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
    if (c.req.method === "HEAD") return await headOfFeed(c, productId, jobId, kind);
    // Only now, the request being one the feed takes: a refused one must not use its ticket up.
    const opener = await registerFeed(c, grant);
    await unwrap(coordinatorFor(c.env, productId).openFeed(productId, jobId)); // ships held events first
    const after = q.after ?? resume ?? 0;
    const url = `https://feed/${kind}?after=${after}${openerParam(opener)}`;
    const res = await c.env.JOB_FEED.getByName(feedName(productId, jobId)).fetch(
      new Request(url, { headers: c.req.raw.headers }),
    );
    // The feed counts its own watchers (it alone knows them); its refusal becomes a problem+json like any other, and
    // leaves the ticket unused, as the refusals above do: no stream opened with it.
    if (res.status === WATCHER_CAP_STATUS) {
      await releaseFeed(c, grant);
      // When to try again, as a header (RFC 9110 §10.2.3) and in the problem for clients that read only the body
      // (the CLI): a watcher refused at the cap is let in once another leaves, so it is worth a later try — not a
      // final refusal that ended a watch at once when a reconnect storm filled the job's slots for a moment.
      c.header("retry-after", String(WATCHER_CAP_RETRY_AFTER_S));
      throw new DomainError("limit_exceeded", await res.text(), { retryAfterSeconds: WATCHER_CAP_RETRY_AFTER_S });
    }
    if (res.status === AFTER_BEYOND_STATUS) {
      await releaseFeed(c, grant);
      throw afterBeyondFeed(after, ((await res.json()) as { lastSeq: number }).lastSeq);
    }
    return res;
  });
}

/**
 * `HEAD …/events/stream` (Hono answers HEAD from this GET route): the headers a GET gets once its caller, query and
 * job check out — and nothing opened: no ticket used, no watcher registered, no stream. A HEAD's body is never read,
 * so the stream it opened stayed in the job's feed, counting toward its watcher cap and kept awake by the keep-alive:
 * MAX_WATCHERS HEADs locked every watcher of the job out with 429 until the feed was evicted, and the ticket a browser
 * probed with was spent. The feed's own refusals (its cap, `after` past its log) are a GET's to meet. A WebSocket
 * handshake is a GET (RFC 6455 §4.1): a HEAD with `Upgrade: websocket` is 426 like a GET without it.
 * @throws DomainError `upgrade_required` (426) for `ws`, `not_found` (404) for a job that does not exist
 */
async function headOfFeed(c: Context<AppEnv>, productId: string, jobId: string, kind: "ws" | "stream") {
  if (kind === "ws") throw new DomainError("upgrade_required", "a WebSocket handshake is a GET, not a HEAD");
  await unwrap(coordinatorFor(c.env, productId).getJob(productId, jobId));
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
