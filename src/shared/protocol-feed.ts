/**
 * @module shared/protocol-feed
 * A job's feed: its event log's entries (`JobEvent`), every event type written to it with its `data`, and what a
 * watcher receives and may send on the job feed WebSocket (replay paged at the watcher's pace, then live). Out of
 * shared/protocol (the factory protocol), which re-exports it.
 */
import { z } from "zod";

/** One entry of a job's event log: `seq` is gapless and monotonic per job. */
export interface JobEvent {
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/**
 * Every event type written to a job's feed, and its `data`. The coordinator writes them through its outbox
 * (coordinator/outbox/records `enqueueEvent`), the JobFeed the artifact ones itself (feed/artifacts); both take a
 * FeedEventType, so a type missing here does not compile, and test/unit/feed-event-types.test.ts holds the list
 * to what the source writes (no type listed that nothing writes).
 * - `job.submitted` {stage, title, priority}; `job.stage` {from, to, leaseEpoch, attempt, holderFactoryId?, result?}
 *   (`result`: the outcome this move records — a run's end, the failure a retry retries, a cancel's why — never an
 *   earlier move's: coordinator/jobs/rows `resultOfMove`)
 * - `job.action` {action, actor, reviewer?, note?} — an operator's requeue/cancel/ship/approve/reject
 * - `job.review` {reviewer, reviewerName, verdict, comment?, approvals, required} — one review (policies/reviews)
 * - `lease.granted` {factoryId, leaseEpoch, expiresAt, attempt}; `lease.lost` {factoryId, leaseEpoch, why, excludedUntil?,
 *   linkLostAt?: an expiry's holder's link seen to end during the run, ms; lastHeartbeatAt?: an expiry's holder's last
 *   beat, ms}
 * - `log` {factoryId, leaseEpoch, lines: LogLine[]}; `progress` {pct?, note?}; `checkpoint` {branch?, sha?, note?}
 * - `artifact.added` {name, size, sha256, contentType, createdAt, uploadedBy}; `artifact.deleted` {name}
 * - `job.preempted` {by, factoryId, leaseEpoch} — a critical job `by` took this job's seat (coordinator/dispatch/preempt)
 * - `job.children` {added: job ids, total} — children a composite parent gained (coordinator/dag/children)
 * - `job.child_failed` {childId, childStage}; `job.dependency_failed` {depId, depStage} — why a blocked job failed
 * - `job.budget_exceeded` {limit, used, max, why, factoryId?, leaseEpoch, lateFrom?} — the job was stopped over its
 *   budget (`lateFrom` {factoryId, leaseEpoch}: by the spend a report of that lost lease carried, policies/late-spend)
 * - `exclusion.cleared` {factoryId, why} — a factory excluded from the job may take it again (its capabilities changed)
 *
 * A `cancel` is a frame to the holding factory (ServerFrame), never a feed event: the feed shows it as `lease.lost`.
 * Readers must still accept types they do not know (a newer coordinator may add some).
 */
export const FEED_EVENT_TYPES = [
  "job.submitted",
  "job.stage",
  "job.action",
  "job.review",
  "lease.granted",
  "lease.lost",
  "log",
  "progress",
  "checkpoint",
  "artifact.added",
  "artifact.deleted",
  "job.preempted",
  "job.children",
  "job.child_failed",
  "job.dependency_failed",
  "job.budget_exceeded",
  "exclusion.cleared",
] as const;

/** A type a job's feed is written with: writers take this, so an unlisted type is a compile error. */
export type FeedEventType = (typeof FEED_EVENT_TYPES)[number];

/**
 * Frames a watcher receives on the job feed WebSocket. Replay is paged: after each page that did not reach the end
 * of the log comes `page` (`through` = last seq sent, `token` fresh for each page), and the next page is sent only
 * when the watcher answers `more <token>` — its own pace is the backpressure. `ready` ends the replay; every later
 * event is live.
 */
export type FeedFrame =
  | { type: "event"; event: JobEvent }
  | { type: "page"; through: number; lastSeq: number; token: string }
  | { type: "ready"; lastSeq: number };

/**
 * What a watcher may send on the job feed WebSocket: `ping` (answered `pong`), or `more <token>` — the next replay
 * page, for the page frame that carried `token` (64 random bits in hex). A bare `more` asked for the next page without saying which page it
 * answers: a client that sent it N times without reading was sent N pages (the whole log) at once, and workerd's
 * WebSocket has no `bufferedAmount` to see that pile up. The token is known only from the page frame itself, which
 * follows its page's events, so the watcher has received that page before it can ask for the next.
 */
export const WatcherMessage = z.union([
  z.literal("ping").transform(() => ({ type: "ping" as const })),
  z
    .string()
    .regex(/^more [0-9a-f]{16}$/)
    .transform((m) => ({ type: "more" as const, token: m.slice("more ".length) })),
]);
