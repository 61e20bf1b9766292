/**
 * @module core/serial-gates
 * Serial gates (SPEC §6, issue "fleet policies" §4): jobs sharing a `serialKey` run one at a time, the most
 * urgent waiting job first; an operator may freeze a key (no new dispatch of its jobs; the current holder runs
 * on) and unfreeze it. Pure: what a valid key is, the shape the API shows, and the order of a key's queue —
 * exactly the router's `orderJobs` (urgency desc, then queued earlier, then lower id), computed from the
 * columns the coordinator reads instead of whole job documents — and which job is next: dispatch walks only jobs
 * that are due (dispatch/urgency-order: a retry's `notBefore` passed) and skips one below a cancel cascade, so the
 * most urgent job of the queue is not next while it waits out its backoff.
 */
import { z } from "zod";
import { utf8Text } from "./bytes.ts";
import type { Priority, RouterWeights } from "./model.ts";
import { DEFAULT_WEIGHTS, PRIORITY_VALUE, STARVATION_HORIZON_MS, urgencyAt } from "./router.ts";

/** A serial key is at most 800 bytes of UTF-8, in a manifest (core/manifest-schema) and in the gate endpoints alike. */
export const SERIAL_KEY_MAX_BYTES = 800;

/**
 * 100: frozen keys are copied into the product settings, read on every claim and dispatch pass; a freeze is an
 * incident tool (a broken deploy target, a repo under migration), not a routing table.
 */
export const MAX_FROZEN_KEYS = 100;

/** 1..500 bytes of UTF-8: why the key was frozen, for the next operator on call. */
export const FREEZE_REASON_MAX_BYTES = 500;

/** Job ids listed per key in `GET …/serial` (the rest are counted in `queueLength`). */
export const QUEUE_SHOWN = 50;

export interface SerialFreeze {
  /** Who froze it: the audit log's actor name (e.g. `operator:alice`, `admin`). */
  by: string;
  reason: string;
  /** When, ms epoch. */
  at: number;
}

/** One key as `GET …/serial` shows it. */
export interface SerialGate {
  key: string;
  /** The job that holds the gate (assigned or building), or null. */
  holder: string | null;
  /**
   * With no running holder: the run whose lease was taken by force and which holds the key while its factory stops
   * it (core/serial-holds), or null. `until`: ms epoch, the latest it holds the key (core/serial-holds `engineStopsBy`).
   */
  stopping: { jobId: string; factoryId: string; leaseEpoch: number; until: number } | null;
  /**
   * Queued jobs waiting on the key in the order dispatch takes them (at most QUEUE_SHOWN): the due ones most urgent
   * first, then those waiting out a retry backoff, soonest due first.
   */
  queue: string[];
  /** The job dispatch gives the key to next: the most urgent due job (not below a cancel cascade); null if none. */
  next: string | null;
  /** With no job due (`next` null): when the first retry backoff ends, ms epoch — null if none waits on one. */
  nextDueAt: number | null;
  /** How many jobs are queued on the key in all. */
  queueLength: number;
  frozen: SerialFreeze | null;
}

/** A queued job as the coordinator's index gives it. */
export interface QueuedRef {
  id: string;
  priority: Priority;
  queuedAt: number;
  /** Its retry backoff's end, ms epoch: dispatch does not take it before. */
  notBefore?: number;
  /** Below a cancel cascade still under way (coordinator/dag/cancel-subtree): dispatch skips it. */
  held?: boolean;
}

/**
 * No C0 controls, DEL or C1 controls: invisible in a terminal or an audit log, and never what an operator typed.
 * Not `.` nor `..` either: a URL path cannot name them — every client and the runtime resolve a dot segment, encoded
 * (`%2E%2E`) or not, before the router sees it, so `POST …/serial/../freeze` reached `POST …/freeze` (404) and a
 * job under such a key could never be frozen: its gate had no write path. One pattern, so the OpenAPI document
 * states the whole rule as its `pattern`.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const KEY_PATTERN = /^(?!\.\.?$)[^\u0000-\u001f\u007f-\u009f]*$/;

/**
 * What a serial key may be wherever one is given — a manifest's `serialKey`, a lesson's scope, the gate endpoints'
 * `{key}`: one character to SERIAL_KEY_MAX_BYTES bytes of UTF-8, no control characters, not `.` or `..`
 * (KEY_PATTERN). Written as checks JSON Schema can state (minLength, maxLength, pattern, the byte bound in the
 * description), so the OpenAPI document shows the rule; a refinement in code showed `{type: string}`, and the
 * manifest's copy let control characters in.
 */
export const SerialKeySchema = utf8Text(
  SERIAL_KEY_MAX_BYTES,
  z
    .string()
    .min(1, "a serial key is at least one character")
    .regex(KEY_PATTERN, "a serial key has no control characters and is not . or .. (no URL path can name those)"),
);

/** Why `key` cannot be a serial key (for a 400), or undefined when it can (SerialKeySchema's first issue). */
export function serialKeyProblem(key: string): string | undefined {
  const parsed = SerialKeySchema.safeParse(key);
  return parsed.success ? undefined : parsed.error.issues[0]?.message;
}

/**
 * Ids most urgent first: `orderJobs` of core/router over the same fields — priority minus the weighted
 * starvation penalty at `now` (ms), ties to the job queued earlier, then the lower id (code-unit order).
 */
export function orderSerialQueue(
  items: readonly QueuedRef[],
  now: number,
  weights: RouterWeights = DEFAULT_WEIGHTS,
  horizonMs: number = STARVATION_HORIZON_MS,
): string[] {
  // The router's own urgency rule (critical unpenalised), so the gate's queue is exactly orderJobs.
  const urgency = (q: QueuedRef) =>
    urgencyAt(PRIORITY_VALUE[q.priority], now - q.queuedAt, weights.starvation, horizonMs);
  return items
    .map((q) => ({ q, u: urgency(q) }))
    .sort((a, b) => b.u - a.u || a.q.queuedAt - b.q.queuedAt || (a.q.id < b.q.id ? -1 : a.q.id > b.q.id ? 1 : 0))
    .map(({ q }) => q.id);
}

/**
 * A key's queue as `GET …/serial` shows it at `now` (ms): the due jobs in dispatch's order (`orderSerialQueue`), then
 * the jobs in retry backoff by when they become due (ties in the same order); `next`, the first due job dispatch
 * does not skip; with none, `nextDueAt`, the earliest backoff end among the jobs it would not skip.
 */
export function serialQueueView(
  items: readonly QueuedRef[],
  now: number,
  weights: RouterWeights = DEFAULT_WEIGHTS,
  horizonMs: number = STARVATION_HORIZON_MS,
): Pick<SerialGate, "queue" | "next" | "nextDueAt"> {
  const isDue = (q: QueuedRef) => q.notBefore === undefined || q.notBefore <= now;
  const byId = new Map(items.map((q) => [q.id, q]));
  const due = orderSerialQueue(items.filter(isDue), now, weights, horizonMs);
  const later = orderSerialQueue(
    items.filter((q) => !isDue(q)),
    now,
    weights,
    horizonMs,
  ).sort((a, b) => (byId.get(a)?.notBefore ?? 0) - (byId.get(b)?.notBefore ?? 0)); // stable: urgency breaks ties
  const next = due.find((id) => !byId.get(id)?.held) ?? null;
  const ends = later.map((id) => byId.get(id)).filter((q) => q && !q.held);
  return { queue: [...due, ...later], next, nextDueAt: next === null ? (ends[0]?.notBefore ?? null) : null };
}

/** The frozen-key list kept in the product settings after freezing or unfreezing `key`: sorted, no duplicates. */
export function withFrozenKey(keys: readonly string[], key: string, frozen: boolean): string[] {
  const set = new Set(keys);
  if (frozen) set.add(key);
  else set.delete(key);
  return [...set].sort();
}
