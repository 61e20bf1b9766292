/**
 * @module durable-objects/feed/keepalive-setting
 * How often a job feed's SSE streams get a keep-alive comment: the Worker var `FEED_KEEPALIVE_SECONDS` (wrangler.toml
 * [vars]), default 15. The same round drops a stream whose reader took nothing since the last one (feed/sse `ping`).
 * Shorter suits a proxy or load balancer that closes a connection idle for less than ~20 s; longer frees a gone
 * reader's watcher slot later. A value that is not a whole number of seconds in bounds is ignored — the default used
 * and one warning logged per isolate and value — rather than refused: a var cannot be checked before a deploy, and
 * refusing would break every job's feed for a keep-alive's sake.
 */
import { z } from "zod";

/** 15 s: under the common 30–60 s idle timeouts of proxies and NATs, with a missed keep-alive to spare. */
export const DEFAULT_KEEPALIVE_SECONDS = 15;
/**
 * 1–30 s. At most 30: the CLI's `watch` reopens a feed silent for 45 s (cli/job-feed FEED_SILENCE_MS), so past it a
 * watch of a quiet job would reconnect over and over. At least 1: a reader that takes nothing for one round is dropped.
 */
export const KEEPALIVE_SECONDS_BOUNDS = { min: 1, max: 30 } as const;

/** A number binding (`= 5` in wrangler.toml) or digits in a string one (`= "5"`); `true`, "5s" or "1e1" are not. */
const KeepAliveSeconds = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d{1,6}$/)
      .transform(Number),
  ])
  .pipe(z.number().int().min(KEEPALIVE_SECONDS_BOUNDS.min).max(KEEPALIVE_SECONDS_BOUNDS.max));

/** The bad values already warned of in this isolate: every job's feed reads the var, and one line says it. */
const warnedOf = new Set<string>();

/**
 * The keep-alive interval in ms from the var's raw value (a string or number binding; unset or "" → the default).
 * Never throws: a bad value gives the default, warned of once through `warn`.
 */
export function feedKeepAliveMs(raw: unknown, warn: (line: string) => void = console.warn): number {
  if (raw === undefined || raw === "") return DEFAULT_KEEPALIVE_SECONDS * 1000;
  const parsed = KeepAliveSeconds.safeParse(raw);
  if (parsed.success) return parsed.data * 1000;
  const key = String(raw);
  if (!warnedOf.has(key)) {
    warnedOf.add(key);
    const { min, max } = KEEPALIVE_SECONDS_BOUNDS;
    warn(
      `FEED_KEEPALIVE_SECONDS ${JSON.stringify(raw)} is not a whole number of seconds from ${min} to ${max}: ` +
        `using ${DEFAULT_KEEPALIVE_SECONDS}`,
    );
  }
  return DEFAULT_KEEPALIVE_SECONDS * 1000;
}
