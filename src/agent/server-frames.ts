/**
 * @module agent/server-frames
 * What the agent checks of a coordinator frame's envelope before acting on it. shared/protocol `parseServerFrame`
 * reads frames loosely (the coordinator is trusted, but not blindly) and checks only `settings` and `grant` fully;
 * the agent's handlers then index into the rest: `for (const a of assign.assignments)`, `welcome.leases.map(…)`,
 * `cancel.jobId` as a seat's key, `ack.id` as a pending request's. A frame of a known type whose envelope is not
 * what those handlers read (a buggy, older or impersonated coordinator: `"assignments": null`, no `leases`) threw
 * inside the socket's message listener, which nothing catches: the agent process died, every engine with it.
 *
 * So the envelope is checked here, with zod, loosely (extra fields pass, for a newer coordinator), and a frame that
 * fails is ignored whole and said so (`frame.ignored`), as an unknown type is. The assignments inside are checked
 * one by one later (agent/assignment-guard), so that one bad lease does not refuse its neighbours.
 */
import { z } from "zod";
import type { ParseResult, ServerFrame } from "../shared/protocol.ts";
import { parseServerFrame } from "../shared/protocol.ts";

const Epoch = z.number().int().min(0);
/** An assignment's envelope only: its fields are agent/assignment-guard's to judge, one by one. */
const Entry = z.unknown();

const Envelopes: Partial<Record<ServerFrame["type"], z.ZodType>> = {
  welcome: z.looseObject({
    factoryId: z.string(),
    heartbeatIntervalMs: z.number(),
    leaseTtlSeconds: z.number().optional(),
    features: z.array(z.string()).optional(),
    seats: z.number().int().min(1).optional(),
    seatLimit: z.number().int().min(1).optional(),
    capabilities: z.array(z.string()).optional(),
    pendingCapabilities: z.array(z.string()).optional(),
    leases: z.array(Entry),
  }),
  assign: z.looseObject({ assignments: z.array(Entry) }),
  ack: z.looseObject({ id: z.string() }),
  error: z.looseObject({ id: z.string().optional(), code: z.string(), message: z.string() }),
  cancel: z.looseObject({ jobId: z.string(), leaseEpoch: Epoch, reason: z.string().optional() }),
  drain: z.looseObject({ reason: z.string().optional() }),
  active: z.looseObject({ reason: z.string().optional() }),
  revoke: z.looseObject({ reason: z.string().optional() }),
};

/** Raw frame text → a frame whose envelope the agent's handlers may read, or why not. Never throws. */
export function readServerFrame(raw: string): ParseResult<ServerFrame> {
  const parsed = parseServerFrame(raw);
  if (!parsed.ok) return parsed;
  const envelope = Envelopes[parsed.frame.type];
  const checked = envelope?.safeParse(parsed.frame);
  if (!checked || checked.success) return parsed;
  const issue = checked.error.issues[0];
  const where = issue?.path.join(".") || parsed.frame.type;
  return {
    ok: false,
    code: "validation_failed",
    message: `malformed ${parsed.frame.type} frame (${where}: ${issue?.message ?? "malformed"})`,
  };
}

/** Whether a refused frame is one of a type this agent knows (malformed: worth saying) or an unknown one. */
export function isUnknownType(result: ParseResult<ServerFrame>): boolean {
  return !result.ok && result.message.startsWith("unknown server frame");
}
