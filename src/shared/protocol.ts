/**
 * @module shared/protocol
 * The factory WebSocket protocol (v1), shared by the coordinator and the agent.
 * Every frame is JSON; `parseFactoryFrame` / `parseServerFrame` turn a raw
 * frame into a discriminated union or a typed error — never an exception — so
 * a malformed frame is answered with an `error` frame and changes nothing.
 *
 * Flow: agent connects (bearer factory token) → `hello` → `welcome` (with the
 * leases it still holds: reconnect resumes them) → `assign` frames pushed as
 * work appears (several per frame when several seats are free) → the agent
 * answers `accept`/`reject`, then `renew` / `progress` / `complete` / `fail`
 * (or `release` to hand a job back without blame; `stopped` once a cancelled or lost run's engine has exited),
 * each carrying the lease epoch (fenced). The server may push `cancel` (why: its `code`), `drain` (its `status`),
 * `active` (work again), `revoke`, `settings` (the product's lease TTL changed) and `grant` (the factory's seats
 * changed). Frames with an `id` get an `ack` or an `error` with it.
 *
 * Optional features, announced in `welcome.features` (FEATURES) so a newer agent still works with an older
 * coordinator: `accept` with `stage: "building"` (accepted and started in one round trip), and `batch` (several
 * lease frames in one frame and one unit, answered by one `ack` with a result per frame).
 *
 * What the factory sends (its schemas, limits and parser) lives in shared/protocol-factory-frames and is
 * re-exported here; this module keeps the close codes, what the coordinator sends, and the job feed.
 */
import { z } from "zod";
import { LeaseTtl } from "./api-work.ts";
import type { Assignment } from "./protocol-assignment.ts";
import type { ParseResult, PROTOCOL_VERSION } from "./protocol-factory-frames.ts";
import type { ActiveNotice, CancelNotice, DrainNotice, WelcomeStanding } from "./protocol-lease-notices.ts";

export type { Assignment } from "./protocol-assignment.ts";
export {
  MAX_ASSIGNED_JOB_BYTES,
  MAX_ASSIGNMENT_BYTES,
  MAX_SEATS,
  MAX_SERVER_FRAME_BYTES,
} from "./protocol-assignment.ts";
export {
  BatchedFrame,
  FactoryFrame,
  LogLine,
  MAX_BATCH_FRAMES,
  MAX_FRAME_BYTES,
  MAX_LOG_LINE_BYTES,
  MAX_LOG_LINES,
  type ParseResult,
  PROTOCOL_VERSION,
  parseFactoryFrame,
} from "./protocol-factory-frames.ts";
export type { ActiveNotice, CancelCode, CancelNotice, DrainNotice, DrainStatus } from "./protocol-lease-notices.ts";

/** Close codes (4000–4999 are application-defined). */
export const CLOSE = {
  /** Another connection of the same factory took over. */
  replaced: 4000,
  /** The factory's token was revoked or the factory deregistered: do not reconnect. */
  revoked: 4001,
  /** The first frame was not a valid `hello`. */
  protocolError: 4002,
} as const;

/** What each frame of a batch got: its `ack` result, or its `error`'s code and message — in the batch's order. */
export type BatchItemResult = { ok: true; result: unknown } | { ok: false; code: string; message: string };
/** The `result` of a batch's `ack`. */
export interface BatchResult {
  results: BatchItemResult[];
}

/** Optional protocol features a coordinator announces in `welcome.features` (protocol v1 stays compatible). */
export const FEATURES = {
  /** `accept` may carry `stage: "building"`. */
  acceptBuilding: "accept-building",
  /** The `batch` frame. */
  batch: "batch",
  /** The `stopped` frame: a run whose lease was taken has stopped, its serial key may go on (core/serial-holds). */
  stopped: "stopped",
} as const;

export type ServerFrame =
  | ({
      type: "welcome";
      v: typeof PROTOCOL_VERSION;
      factoryId: string;
      productId: string;
      queueVersion: number;
      heartbeatIntervalMs: number;
      /**
       * The lease TTL (s) that applies on this connection: the product's setting, or the hello's if shorter. A job
       * whose manifest sets its own TTL says so in its assignment's `ttlSeconds`. Absent from older coordinators.
       */
      leaseTtlSeconds?: number;
      /** The optional features this coordinator supports (values of FEATURES). Absent from older coordinators. */
      features?: string[];
      /**
       * The seats this factory is granted: what its hello declared, capped by `seatLimit` (core/capability-grant).
       * The router pushes at most this many jobs at once, so the agent runs at most this many. Absent from older
       * coordinators (the agent then runs what it declared).
       */
      seats?: number;
      /** The most seats enrollment or an operator allows this factory (`gigafactory factory approve ID --seats N`). */
      seatLimit?: number;
      /**
       * What the hello declared and the router matches on (approved ∩ declared), and what it declared that awaits an
       * operator's `gigafactory factory approve ID`. Absent from older coordinators (the agent then says "declared").
       */
      capabilities?: string[];
      pendingCapabilities?: string[];
      /** Leases this factory still holds: keep working (and renewing) these; `ttlSeconds` is the time LEFT on each. */
      leases: Assignment[];
    } & WelcomeStanding) // the factory's status, and why when not active (shared/protocol-lease-notices)
  | { type: "assign"; assignments: Assignment[] }
  /** `result`: what the frame's operation returned; for a `batch`, a BatchResult (one entry per frame, in order). */
  | { type: "ack"; id: string; result?: unknown }
  | { type: "error"; id?: string; code: string; message: string }
  /** `code` says why; "preempted": a critical job takes the seat, its `assign` follows (shared/protocol-lease-notices). */
  | CancelNotice
  | DrainNotice
  | ActiveNotice
  | { type: "revoke"; reason: string }
  | SettingsFrame
  | GrantFrame;

/**
 * The product's settings changed in a way that alters what a connected factory does: today the lease TTL (s) that
 * now applies on this connection (as in `welcome`). Leases get it at their next renewal; the agent renews at once.
 */
export const SettingsFrame = z.object({ type: z.literal("settings"), leaseTtlSeconds: LeaseTtl }).strict();
export type SettingsFrame = z.infer<typeof SettingsFrame>;

/**
 * An operator changed the seats this connected factory is granted (`gigafactory factory approve ID --seats N`):
 * `seats` and `seatLimit` as in `welcome`, from now on. An older agent ignores the frame (an unknown type).
 */
export const GrantFrame = z
  .object({
    type: z.literal("grant"),
    seats: z.number().int().min(1).max(64),
    seatLimit: z.number().int().min(1).max(64),
  })
  .strict();
export type GrantFrame = z.infer<typeof GrantFrame>;

/** Agent side: a server frame, loosely checked (the server is trusted, but not blindly). */
export function parseServerFrame(raw: string): ParseResult<ServerFrame> {
  try {
    const data = JSON.parse(raw) as { type?: unknown };
    const known = ["welcome", "assign", "ack", "error", "cancel", "drain", "active", "revoke", "settings", "grant"];
    if (typeof data?.type !== "string" || !known.includes(data.type)) {
      return { ok: false, code: "validation_failed", message: `unknown server frame ${String(data?.type)}` };
    }
    if (data.type === "settings") {
      // It changes how the agent times its renewals: checked fully, so a bad one is ignored rather than obeyed.
      const settings = SettingsFrame.safeParse(data);
      if (!settings.success) return { ok: false, code: "validation_failed", message: "malformed settings frame" };
      return { ok: true, frame: settings.data };
    }
    if (data.type === "grant") {
      // It bounds how many engines the agent runs: checked fully too.
      const grant = GrantFrame.safeParse(data);
      if (!grant.success) return { ok: false, code: "validation_failed", message: "malformed grant frame" };
      return { ok: true, frame: grant.data };
    }
    return { ok: true, frame: data as ServerFrame };
  } catch {
    return { ok: false, code: "validation_failed", message: "server frame is not valid JSON" };
  }
}

// ---- job feed (watchers) ------------------------------------------------------

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
