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
 * (or `release` to hand a job back without blame),
 * each carrying the lease epoch (fenced). The server may push `cancel`,
 * `drain`, `revoke` and `settings` (the product's lease TTL changed). Frames with an `id` get an `ack` or an
 * `error` with it.
 *
 * Optional features, announced in `welcome.features` (FEATURES) so a newer agent still works with an older
 * coordinator: `accept` with `stage: "building"` (accepted and started in one round trip), and `batch` (several
 * lease frames in one frame and one unit, answered by one `ack` with a result per frame).
 */
import { z } from "zod";
import { fitsUtf8 } from "../core/bytes.ts";
import { Capability, CheckpointBody, EntityId, InsightsBody, LeaseTtl, RunResultBody } from "./api.ts";

export const PROTOCOL_VERSION = 1;

/** Close codes (4000–4999 are application-defined). */
export const CLOSE = {
  /** Another connection of the same factory took over. */
  replaced: 4000,
  /** The factory's token was revoked or the factory deregistered: do not reconnect. */
  revoked: 4001,
  /** The first frame was not a valid `hello`. */
  protocolError: 4002,
} as const;

/** A frame larger than this (in UTF-8 bytes, as sent) is refused unread: log batches are chunked well below it. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Log lines per progress frame: bounds one frame's cost for the coordinator. */
export const MAX_LOG_LINES = 200;
/**
 * UTF-8 bytes per log line. 12,000 = the former cap of 4,000 UTF-16 units at UTF-8's worst
 * 3 bytes per unit, so no line an agent of the previous version sent is refused now.
 */
export const MAX_LOG_LINE_BYTES = 12_000;

const RequestId = z.string().min(1).max(64).optional();
const Epoch = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const LeaseRef = { jobId: EntityId, leaseEpoch: Epoch };

export const LogLine = z
  .object({
    stream: z.enum(["stdout", "stderr", "agent"]),
    text: z
      .string()
      .max(MAX_LOG_LINE_BYTES) // zod counts characters, each at least a byte: a cheap refusal before counting
      .refine((t) => fitsUtf8(t, MAX_LOG_LINE_BYTES), `a log line is at most ${MAX_LOG_LINE_BYTES} bytes of UTF-8`),
    at: z.number().int().min(0),
  })
  .strict();

/*
 * Lease frames: each acts on one lease, carries its epoch, and is fenced on it at commit time. Their fields are
 * kept as shapes so each travels two ways from one definition: alone (with an optional `id`) or in a `batch`.
 */
const Accept = {
  type: z.literal("accept"),
  ...LeaseRef,
  /**
   * "building": the factory has started, so the job moves assigned → building in the same unit, exactly as a
   * `progress` with `stage: "building"` would — one round trip instead of two. Only to a coordinator whose
   * `welcome.features` lists FEATURES.acceptBuilding (an older one refuses the field).
   */
  stage: z.literal("building").optional(),
};
/** "I cannot run this job": requeued, and kept from this factory for a long backoff (core/exclusions). */
const Reject = { type: z.literal("reject"), ...LeaseRef, reason: z.string().max(500) };
/** "I am going away" (drain, no free seat): requeued, checkpoint kept, may come back here after a short backoff. */
const Release = { type: z.literal("release"), ...LeaseRef, reason: z.string().max(500).optional() };
const Renew = { type: z.literal("renew"), ...LeaseRef, ttlSeconds: LeaseTtl.optional() };
const Progress = {
  type: z.literal("progress"),
  ...LeaseRef,
  stage: z.literal("building").optional(),
  pct: z.number().min(0).max(100).optional(),
  note: z.string().max(2000).optional(),
  checkpoint: CheckpointBody.optional(),
  logs: z.array(LogLine).max(MAX_LOG_LINES).optional(),
  /** The run's insights so far, cumulative (issue 9): the coordinator accrues cost and checks the job budget. */
  insights: InsightsBody.optional(),
};
const Report = { ...LeaseRef, insights: InsightsBody.optional(), checkpoint: CheckpointBody.optional() };
const Complete = { type: z.literal("complete"), ...Report, result: RunResultBody.optional() };
const Fail = { type: z.literal("fail"), ...Report, result: RunResultBody };

const alone = <S extends z.ZodRawShape>(shape: S) => z.object({ ...shape, id: RequestId }).strict();
const batched = <S extends z.ZodRawShape>(shape: S) => z.object(shape).strict();

/**
 * 64 frames per batch: a host's seats (≤ 64, see hello) each finishing at once fit in one batch, and one batch is
 * one unit, so this bounds how long a batch holds the coordinator. The frame's byte limit applies on top.
 */
export const MAX_BATCH_FRAMES = 64;

/** A lease frame inside a `batch`: the frame as it would travel alone, without `id` (answers go by position). */
export const BatchedFrame = z.discriminatedUnion("type", [
  batched(Accept),
  batched(Reject),
  batched(Release),
  batched(Renew),
  batched(Progress),
  batched(Complete),
  batched(Fail),
]);
export type BatchedFrame = z.infer<typeof BatchedFrame>;

export const FactoryFrame = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("hello"),
      id: RequestId,
      v: z.literal(PROTOCOL_VERSION),
      capabilities: z.array(Capability).max(64),
      seats: z.number().int().min(1).max(64),
      engines: z.array(z.string().min(1).max(32)).max(16).default([]),
      agentVersion: z.string().min(1).max(40),
      /**
       * The longest TTL this host wants for its leases: honoured only when shorter than the job's governing TTL
       * (the manifest's, else the product's setting — core/settings `grantedLeaseTtl`). `welcome` says what applies.
       */
      leaseTtlSeconds: LeaseTtl.optional(),
    })
    .strict(),
  alone(Accept),
  alone(Reject),
  alone(Release),
  alone(Renew),
  alone(Progress),
  alone(Complete),
  alone(Fail),
  /**
   * Several lease frames in one: applied in order in ONE unit (one transaction, one dispatch pass after it), each
   * fenced on its own epoch and isolated from the others — a refused frame changes nothing and takes nothing of
   * the others with it. Answered by one `ack` whose `result` is `BatchResult`, one entry per frame in order. A
   * frame that fails validation refuses the whole batch (`error`, nothing applied): that is a sender's bug, not a
   * race. `id` is required: a batch is only useful with its answers. Only to a coordinator whose
   * `welcome.features` lists FEATURES.batch.
   */
  z
    .object({
      type: z.literal("batch"),
      id: z.string().min(1).max(64),
      frames: z.array(BatchedFrame).min(1).max(MAX_BATCH_FRAMES),
    })
    .strict(),
  z.object({ type: z.literal("heartbeat"), id: RequestId }).strict(),
  z.object({ type: z.literal("drain"), id: RequestId }).strict(),
]);
export type FactoryFrame = z.infer<typeof FactoryFrame>;

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
} as const;

/** What the coordinator pushes. Jobs travel as the domain `Job` (see core/model). */
export interface Assignment {
  job: import("../core/model.ts").Job;
  leaseEpoch: number;
  expiresAt: number;
  ttlSeconds: number;
  /**
   * The product's lessons relevant to this job (core/lessons: matched by capability, engine or serial key; newest
   * first; ≤ 8 and ≤ 4 KiB of text). The agent hands them to the engine in `$GF_LESSONS_FILE`. Absent from older
   * coordinators; absent or empty = none.
   */
  lessons?: Array<{ id: string; text: string }>;
}

export type ServerFrame =
  | {
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
       * Leases this factory still holds: keep working (and renewing) these. Here
       * `ttlSeconds` is the time LEFT on each lease, so renew them promptly.
       */
      leases: Assignment[];
    }
  | { type: "assign"; assignments: Assignment[] }
  /** `result`: what the frame's operation returned; for a `batch`, a BatchResult (one entry per frame, in order). */
  | { type: "ack"; id: string; result?: unknown }
  | { type: "error"; id?: string; code: string; message: string }
  /** `reason` "preempted": a critical job takes this seat, its `assign` follows; the seat is free once stopping. */
  | { type: "cancel"; jobId: string; leaseEpoch: number; reason: string }
  | { type: "drain"; reason: string }
  | { type: "revoke"; reason: string }
  | SettingsFrame;

/**
 * The product's settings changed in a way that alters what a connected factory does: today the lease TTL (s) that
 * now applies on this connection (as in `welcome`). Leases get it at their next renewal; the agent renews at once.
 */
export const SettingsFrame = z.object({ type: z.literal("settings"), leaseTtlSeconds: LeaseTtl }).strict();
export type SettingsFrame = z.infer<typeof SettingsFrame>;

export type ParseResult<T> = { ok: true; frame: T } | { ok: false; code: string; message: string; id?: string };

/** Raw WebSocket data → a validated factory frame, or why not. Never throws. */
export function parseFactoryFrame(raw: string | ArrayBuffer): ParseResult<FactoryFrame> {
  if (typeof raw !== "string") return { ok: false, code: "validation_failed", message: "frames must be text JSON" };
  if (!fitsUtf8(raw, MAX_FRAME_BYTES)) {
    return { ok: false, code: "payload_too_large", message: `frame exceeds ${MAX_FRAME_BYTES} bytes` };
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: "validation_failed", message: "frame is not valid JSON" };
  }
  const id =
    typeof data === "object" && data !== null && typeof (data as { id?: unknown }).id === "string"
      ? // 64 characters, as RequestId counts them (code points): a cut by UTF-16 units could halve an emoji.
        Array.from((data as { id: string }).id.slice(0, 128))
          .slice(0, 64)
          .join("")
      : undefined;
  const parsed = FactoryFrame.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return { ok: false, code: "validation_failed", message: `${where}${issue?.message ?? "invalid frame"}`, id };
  }
  return { ok: true, frame: parsed.data };
}

/** Agent side: a server frame, loosely checked (the server is trusted, but not blindly). */
export function parseServerFrame(raw: string): ParseResult<ServerFrame> {
  try {
    const data = JSON.parse(raw) as { type?: unknown };
    const known = ["welcome", "assign", "ack", "error", "cancel", "drain", "revoke", "settings"];
    if (typeof data?.type !== "string" || !known.includes(data.type)) {
      return { ok: false, code: "validation_failed", message: `unknown server frame ${String(data?.type)}` };
    }
    if (data.type === "settings") {
      // It changes how the agent times its renewals: checked fully, so a bad one is ignored rather than obeyed.
      const settings = SettingsFrame.safeParse(data);
      if (!settings.success) return { ok: false, code: "validation_failed", message: "malformed settings frame" };
      return { ok: true, frame: settings.data };
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
 * Event types written to a job's feed:
 * - `job.submitted` {stage}; `job.stage` {from, to, leaseEpoch, holderFactoryId?, result?}
 * - `job.action` {action, actor, reviewer?, note?} — an operator's requeue/cancel/ship/approve/reject
 * - `lease.granted` {factoryId, leaseEpoch, expiresAt}; `lease.lost` {factoryId, leaseEpoch, why}
 * - `log` {factoryId, leaseEpoch, lines: LogLine[]}; `progress` {pct?, note?}; `checkpoint` {branch?, sha?, note?}
 * - `artifact.added` / `artifact.deleted` {name, size, sha256, contentType}; `cancel` {reason}
 * - `job.preempted` {by, factoryId, leaseEpoch} — a critical job `by` took this job's seat (coordinator/dispatch/preempt)
 */
export const FEED_EVENT_TYPES = [
  "job.submitted",
  "job.stage",
  "job.action",
  "lease.granted",
  "lease.lost",
  "log",
  "progress",
  "checkpoint",
  "artifact.added",
  "artifact.deleted",
  "cancel",
  "job.preempted",
] as const;

/**
 * Frames a watcher receives on the job feed WebSocket. Replay is paged: after each page that did not reach the end
 * of the log comes `page` (`through` = last seq sent), and the next page is sent only when the watcher answers
 * `more` — its own pace is the backpressure. `ready` ends the replay; every later event is live.
 */
export type FeedFrame =
  | { type: "event"; event: JobEvent }
  | { type: "page"; through: number; lastSeq: number }
  | { type: "ready"; lastSeq: number };

/** What a watcher may send on the job feed WebSocket: `ping` (answered `pong`) or `more` (the next replay page). */
export const WatcherMessage = z.enum(["ping", "more"]);
