/**
 * @module worker/openapi-ops-events
 * A job's event log as operations of the OpenAPI document: a page of it, its two live feeds (WebSocket and SSE, one
 * builder: worker/routes/events reads both alike) and the browser's ticket for them.
 */
import { EventsQuery, FeedQuery, LastEventIdHeader } from "../shared/api.ts";
import { TicketSchema } from "../shared/api-fleet-answers.ts";
import { EventPageSchema } from "../shared/api-job-answers.ts";
import { type HeaderParam, type Op, P } from "./openapi-ops.ts";
import { json, SWITCHING } from "./openapi-schemas.ts";

/** Both live feeds resume after the seq this header names (worker/routes/events, through the same validator). */
const LAST_EVENT_ID: HeaderParam = {
  name: "Last-Event-ID",
  description:
    "Resume after this seq, in decimal digits (what a browser's EventSource sends on reconnecting; 400 when " +
    "malformed, 416 after_beyond_feed past the feed's last seq); `after` wins when both are given",
  schema: LastEventIdHeader,
};

/** How every read of a job's log refuses a resume point past its end (`what`: the parameters that name one). */
const afterBeyond = (what: string) =>
  `416 after_beyond_feed when ${what} is past the feed's last seq (\`lastSeq\` in the problem)`;

/** The watcher caps both live feeds share (durable-objects/job-feed MAX_WATCHERS, MAX_WATCHERS_PER_TOKEN). */
const WATCHER_CAP =
  "429 limit_exceeded past 256 watchers per job, or past 16 streams of the job per token (the admin's are not bounded per token), with Retry-After and `retryAfterSeconds` (try again then)";

/**
 * One of a job's two live feeds (worker/routes/events reads both alike): the same credentials, query, resume header
 * and refusals; `opening` says what the feed is, `refusals` any of its own, `resumesBy` what names its resume point.
 */
function liveFeed(
  feed: { kind: "ws" | "stream"; operationId: string; summary: string; ok: Op["ok"] },
  opening: string,
  refusals: string,
  resumesBy: string,
): Op {
  return {
    method: "get",
    path: `${P}/jobs/{jobId}/events/${feed.kind}`,
    operationId: feed.operationId,
    summary: feed.summary,
    description: `${opening} (header or ticket auth); ${WATCHER_CAP}; ${refusals}${afterBeyond(resumesBy)}`,
    role: "job-reader",
    query: FeedQuery,
    headers: [LAST_EVENT_ID],
    ok: feed.ok,
  };
}

/** A job's event log: pages, live feeds (WebSocket, SSE) and the browser ticket. */
export const FEED_OPS: Op[] = [
  {
    method: "get",
    path: `${P}/jobs/{jobId}/events`,
    operationId: "listJobEvents",
    summary: "A page of the job's event log after a seq",
    description:
      `A page of the job's event log after a seq; ${afterBeyond("`after`")}; 503 unavailable while events the ` +
      "job's coordinator still holds cannot all reach its feed (`lastSeq` would read short of the log: send again " +
      "after its Retry-After — the rest of an outage backoff window when the feed's probe was refused in it)",
    role: "job-reader",
    query: EventsQuery,
    ok: { "200": json("The events after `after`, oldest first, and the log's last seq", EventPageSchema) },
  },
  liveFeed(
    {
      kind: "ws",
      operationId: "openJobEventSocket",
      summary: "The job's live feed as a WebSocket: a replay after `after`, then live",
      ok: { "101": SWITCHING },
    },
    "WebSocket feed: replay after `after` in pages (answer each `page` frame with `more <its token>`), then live",
    "426 upgrade_required without `Upgrade: websocket`; ",
    "`after`",
  ),
  liveFeed(
    {
      kind: "stream",
      operationId: "streamJobEvents",
      summary: "The job's live feed as SSE, honouring Last-Event-ID",
      ok: { "200": { description: "The event stream", media: ["text/event-stream"] } },
    },
    "SSE feed honouring Last-Event-ID, replayed at the reader's pace",
    "",
    "`after` (or Last-Event-ID)",
  ),
  {
    method: "post",
    path: `${P}/jobs/{jobId}/events/ticket`,
    operationId: "createFeedTicket",
    summary: "A single-use 60 s ticket for one job's feed (for browsers); a second use is 401",
    role: "job-reader",
    ok: { "201": json("The ticket and when it expires", TicketSchema) },
  },
];
