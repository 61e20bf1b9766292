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
 * re-exported here; the job feed's events and frames in shared/protocol-feed, re-exported too; this module keeps the
 * close codes and what the coordinator sends.
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
  /** `insights.baseTokens` on a report (agent/run-usage): a resumed run's earlier tokens, split unknown. */
  baseTokens: "base-tokens",
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

// The job feed's events and frames (watchers): shared/protocol-feed, re-exported for their readers here.
export {
  FEED_EVENT_TYPES,
  type FeedEventType,
  type FeedFrame,
  type JobEvent,
  WatcherMessage,
} from "./protocol-feed.ts";
