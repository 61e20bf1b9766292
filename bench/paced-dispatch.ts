/**
 * The dispatch-latency measurement shared by scenarios 1 and 5: single jobs
 * submitted over HTTP on a fixed schedule (job i is due at t0 + i/rate), each
 * matched by its unique title to the `assign` frame that carried it. Both
 * instants come from performance.now() in this process.
 *
 * At most MAX_IN_FLIGHT submits are outstanding, as from a real client's
 * connection pool (under `wrangler dev`, a few hundred queued requests killed
 * the server; the local runtime has no such proxy, but the pool size is kept
 * so figures stay comparable). A job that has to wait for a free slot is sent late, so latency is counted
 * from when it was due, not from when it finally left: a server that cannot
 * keep up shows as latency, never as a politely slower sender. While the
 * sender keeps up (send lag 0) the two instants are the same.
 */
import { before, type Target, type WsFactory } from "./fleet.ts";
import { api, productPath, sleep } from "./http.ts";
import { round1, type Summary, summarize } from "./stats.ts";

/** A client pool's worth of concurrent submits. */
export const MAX_IN_FLIGHT = 64;

export interface PacedOptions {
  rate: number;
  seconds: number;
  /** Longest wait, after the schedule ends, for the last sends and assignments. */
  drainMs: number;
  /** Unique title prefix. */
  label: string;
  requires?: string[];
  /** Complete each assignment here (for factories connected without autoComplete). */
  finish?: boolean;
}

export interface PacedResult {
  /** Jobs the schedule offered (rate × seconds). */
  offered: number;
  /** Submit requests actually sent before the deadline. */
  submitted: number;
  /** Submits answered 201. */
  accepted: number;
  httpErrors: number;
  assigned: number;
  /** Due → assign frame arrived: the headline figure. */
  latencyMs: Summary;
  /** Actually sent → assign frame arrived (differs from latencyMs only when sends were late). */
  sentToAssignMs: Summary;
  /** How late the latest send left against its due time (0 while the sender kept up). */
  maxSendLagMs: number;
  /** First due → last actually sent; above `seconds` means the server held the sender back. */
  sendSeconds: number;
  firstError?: string;
}

export async function pacedDispatch(
  t: Target,
  product: string,
  factories: readonly WsFactory[],
  o: PacedOptions,
): Promise<PacedResult> {
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const dueAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const serviceLatencies: number[] = [];
  const seen = new Set<string>();
  for (const f of factories) {
    f.onAssign = (a, at) => {
      if (o.finish) void f.finish(a);
      const sent = sentAt.get(a.job.title);
      // Count each job once, at its first push (a re-push would be a duplicate, not latency).
      if (sent === undefined || seen.has(a.job.title)) return;
      seen.add(a.job.title);
      latencies.push(at - (dueAt.get(a.job.title) ?? sent));
      serviceLatencies.push(at - sent);
    };
  }

  let accepted = 0;
  let httpErrors = 0;
  let inFlight = 0;
  let maxLag = 0;
  let lastSent = 0;
  let firstError: string | undefined;
  let next = 0; // next job index to send
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000 + o.drainMs;
  const done = (err?: string) => {
    inFlight--;
    if (err) {
      httpErrors++;
      firstError ??= err;
    }
    pump();
  };
  // Send every job that is due, as far as free slots allow.
  const pump = () => {
    const now = performance.now();
    while (next < total && inFlight < MAX_IN_FLIGHT && t0 + next * interval <= now && t.alive() && now < deadline) {
      const title = `${o.label}-${next}`;
      const due = t0 + next * interval;
      next++;
      dueAt.set(title, due);
      sentAt.set(title, now);
      maxLag = Math.max(maxLag, now - due);
      lastSent = now;
      inFlight++;
      const manifest = o.requires ? { title, requires: o.requires } : { title };
      api(t.base, "POST", `${productPath(product)}/jobs`, t.admin, { manifest }, o.drainMs).then(
        (r) => {
          if (r.status === 201) accepted++;
          done(r.status === 201 ? undefined : `HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
        },
        (e: Error) => done(e.cause ? `${e.message}: ${(e.cause as Error).message ?? e.cause}` : e.message),
      );
    }
  };

  while (next < total && before(t, deadline)) {
    pump();
    const wait = t0 + next * interval - performance.now();
    await sleep(Math.max(1, Math.min(wait, 20)));
  }
  while (seen.size < next && before(t, deadline)) await sleep(20);
  // Answers too (each bounded by the same timeout), so none is counted late.
  while (inFlight > 0 && before(t, deadline)) await sleep(20);
  for (const f of factories) f.onAssign = undefined;
  return {
    offered: total,
    submitted: next,
    accepted,
    httpErrors,
    assigned: seen.size,
    latencyMs: summarize(latencies),
    sentToAssignMs: summarize(serviceLatencies),
    maxSendLagMs: round1(maxLag) ?? 0,
    sendSeconds: Math.round(((lastSent || t0) - t0) / 10) / 100,
    ...(firstError ? { firstError } : {}),
  };
}
