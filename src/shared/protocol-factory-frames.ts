/**
 * @module shared/protocol-factory-frames
 * What a factory may send on its WebSocket: its frames' zod schemas, their size limits, and `parseFactoryFrame`.
 * The coordinator runs that parser on every frame it receives. Kept apart from shared/protocol (which re-exports
 * all of it) so the agent-to-coordinator half of the protocol reads as one unit.
 */
import { z } from "zod";
import { clipUtf8, fitsUtf8, parsedHoldsLoneSurrogate, truncateUtf8, utf8Text } from "../core/bytes.ts";
import { protoKeyPath } from "../core/proto-key.ts";
import { Capability, EntityId } from "./api.ts";
import { CheckpointBody, FailureResultBody, InsightsBody, LeaseTtl, SuccessResultBody } from "./api-work.ts";
import { plainName } from "./plain-text.ts";
import { MAX_SEATS } from "./protocol-assignment.ts";

/** What `hello` must carry (and `welcome` echoes): here because the `hello` schema checks it. */
export const PROTOCOL_VERSION = 1;

/** A frame larger than this (in UTF-8 bytes, as sent) is refused unread: log batches are chunked well below it. */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Log lines per progress frame: bounds one frame's cost for the coordinator. */
export const MAX_LOG_LINES = 200;
/**
 * UTF-8 bytes per log line. 12,000 = the former cap of 4,000 UTF-16 units at UTF-8's worst
 * 3 bytes per unit, so no line an agent of the previous version sent is refused now.
 */
export const MAX_LOG_LINE_BYTES = 12_000;

/**
 * A frame id, echoed in its answer: at most 256 bytes of UTF-8 (a longer one's echo in a refusal is cut there), and
 * no control character, as every other id, key and name a request carries (core/plain-text `plainName`).
 */
const MAX_REQUEST_ID_BYTES = 256;
const BatchId = utf8Text(MAX_REQUEST_ID_BYTES, plainName(z.string().min(1)));
const RequestId = BatchId.optional();
const Epoch = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const LeaseRef = { jobId: EntityId, leaseEpoch: Epoch };

export const LogLine = z
  .object({
    stream: z.enum(["stdout", "stderr", "agent"]),
    text: utf8Text(MAX_LOG_LINE_BYTES),
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
const Reject = { type: z.literal("reject"), ...LeaseRef, reason: utf8Text(2000) };
/** "I am going away" (drain, no free seat): requeued, checkpoint kept, may come back here after a short backoff. */
const Release = { type: z.literal("release"), ...LeaseRef, reason: utf8Text(2000).optional() };
const Renew = { type: z.literal("renew"), ...LeaseRef, ttlSeconds: LeaseTtl.optional() };
/**
 * "My run of this job under this epoch has stopped" (its engine exited, or never started): sent after a `cancel` or a
 * lost lease. The job's serial key, kept held while that run stopped, opens now (core/serial-holds); a frame naming a
 * run with no such hold changes nothing. About a lease already taken, so not fenced on the job's current epoch: only
 * the hold of exactly this factory, job and epoch ends. Only to a coordinator whose `welcome.features` lists
 * FEATURES.stopped.
 */
const Stopped = { type: z.literal("stopped"), ...LeaseRef };
const Progress = {
  type: z.literal("progress"),
  ...LeaseRef,
  stage: z.literal("building").optional(),
  pct: z.number().min(0).max(100).optional(),
  note: utf8Text(8000).optional(),
  checkpoint: CheckpointBody.optional(),
  logs: z.array(LogLine).max(MAX_LOG_LINES).optional(),
  /** The run's insights so far, cumulative (issue 9): the coordinator accrues cost and checks the job budget. */
  insights: InsightsBody.optional(),
};
const Report = { ...LeaseRef, insights: InsightsBody.optional(), checkpoint: CheckpointBody.optional() };
/** A `complete` says the run succeeded, a `fail` that it did not: results that say otherwise are refused (api-work). */
const Complete = { type: z.literal("complete"), ...Report, result: SuccessResultBody.optional() };
const Fail = { type: z.literal("fail"), ...Report, result: FailureResultBody };

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
  batched(Stopped),
]);
export type BatchedFrame = z.infer<typeof BatchedFrame>;

export const FactoryFrame = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("hello"),
      id: RequestId,
      v: z.literal(PROTOCOL_VERSION),
      capabilities: z.array(Capability).max(64),
      seats: z.number().int().min(1).max(MAX_SEATS), // what bounds a welcome's leases (shared/protocol-assignment)
      engines: z
        .array(utf8Text(128, plainName(z.string().min(1))))
        .max(16)
        .default([]),
      agentVersion: utf8Text(160, plainName(z.string().min(1))),
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
  alone(Stopped),
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
      id: BatchId,
      frames: z.array(BatchedFrame).min(1).max(MAX_BATCH_FRAMES),
    })
    .strict(),
  z.object({ type: z.literal("heartbeat"), id: RequestId }).strict(),
  z.object({ type: z.literal("drain"), id: RequestId }).strict(),
]);
export type FactoryFrame = z.infer<typeof FactoryFrame>;

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
  // Echoed whole when it is a valid id, so the sender can match the refusal to its request (it was cut to 64 code
  // points: a valid 100-character id came back as another); a longer one is cut at the id's own bound, 256 bytes.
  const id =
    typeof data === "object" && data !== null && typeof (data as { id?: unknown }).id === "string"
      ? truncateUtf8((data as { id: string }).id, MAX_REQUEST_ID_BYTES)
      : undefined;
  if (parsedHoldsLoneSurrogate(raw, data)) {
    // Stored, it would change (core/bytes `hasLoneSurrogate`): refused like any other malformed frame.
    return { ok: false, code: "validation_failed", message: "frame holds a lone surrogate (\\uD800–\\uDFFF)", id };
  }
  const proto = protoKeyPath(raw, data);
  if (proto !== undefined) {
    // zod drops an own `__proto__` key without an issue (core/proto-key): refused before it can.
    return {
      ok: false,
      code: "validation_failed",
      message: `${proto}: an own __proto__ key is never a valid name`,
      id,
    };
  }
  const parsed = FactoryFrame.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${clipUtf8(issue.path.join("."))}: ` : "";
    // Bounded (core/bytes): an unknown key's name is the sender's input, echoed back in the error frame.
    const message = `${where}${clipUtf8(issue?.message ?? "invalid frame")}`;
    return { ok: false, code: "validation_failed", message, id };
  }
  return { ok: true, frame: parsed.data };
}
