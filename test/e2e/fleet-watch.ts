/**
 * @module test/e2e/fleet-watch
 * What an end-to-end fleet scenario observes from outside: a poller over `GET …/jobs` that records every job it
 * ever saw waiting (neither running nor terminal) without a waiting reason, the reason codes each job showed,
 * the preemption marks, and any moment two jobs sharing a serial key ran at once; plus a job's whole event log
 * and the intervals during which it held a lease.
 */
import { WAITING_CODES, type WaitingReason } from "../../src/core/model.ts";
import { ADMIN, call, P } from "./harness.ts";

/** The fields of a listed job (summary) the scenario reads. */
export interface SeenJob {
  id: string;
  title: string;
  stage: string;
  attempt: number;
  leaseEpoch: number;
  serialKey?: string;
  holderFactoryId?: string;
  parentId?: string;
  checkpoint?: { branch?: string; sha?: string };
  lastResult?: { outcome: string; retryable?: boolean; message?: string };
  preemptedAt?: number;
  preemptedBy?: string;
  waitingReason?: WaitingReason | null;
}

export interface JobEvent {
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/** A job holds a lease (runs) in these stages; SPEC §3 terminal stages never wait. Everything else waits. */
const RUNNING = new Set(["assigned", "building"]);
const TERMINAL = new Set(["shipped", "dead_letter", "cancelled"]);

export class WaitingReasonWatch {
  /** Every sighting of a waiting job whose reason was missing or malformed. */
  readonly violations: string[] = [];
  /** Every sighting of two running jobs sharing a serial key. */
  readonly serialOverlaps: string[] = [];
  /** Codes each job showed while waiting, in order of first sighting. */
  readonly codes = new Map<string, string[]>();
  /** The last listing of each job. */
  readonly last = new Map<string, SeenJob>();
  /** Each job's first sighting with `preemptedBy` set. */
  readonly preempted = new Map<string, SeenJob>();
  polls = 0;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    private readonly product: string,
    intervalMs = 200,
  ) {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.pollOnce().catch((err: unknown) => this.violations.push(`poll failed: ${String(err)}`));
        await new Promise((r) => setTimeout(r, intervalMs));
      }
    })();
  }

  async pollOnce(): Promise<void> {
    const r = await call<{ jobs: SeenJob[] }>(this.url, "GET", `${P(this.product)}/jobs?limit=500`, ADMIN);
    if (r.status !== 200) throw new Error(`GET jobs: ${r.status} ${JSON.stringify(r.body)}`);
    this.polls++;
    const runningByKey = new Map<string, string[]>();
    for (const j of r.body.jobs) {
      this.last.set(j.id, j);
      if (j.preemptedBy && !this.preempted.has(j.id)) this.preempted.set(j.id, j);
      if (RUNNING.has(j.stage) && j.serialKey)
        runningByKey.set(j.serialKey, [...(runningByKey.get(j.serialKey) ?? []), j.id]);
      if (RUNNING.has(j.stage) || TERMINAL.has(j.stage)) continue;
      const w = j.waitingReason;
      const ok =
        !!w && (WAITING_CODES as readonly string[]).includes(w.code) && typeof w.message === "string" && w.message;
      if (!ok) this.violations.push(`${j.id} "${j.title}" in ${j.stage}: waitingReason ${JSON.stringify(w)}`);
      else {
        const seen = this.codes.get(j.id) ?? [];
        if (!seen.includes(w.code)) this.codes.set(j.id, [...seen, w.code]);
      }
    }
    for (const [key, ids] of runningByKey)
      if (ids.length > 1) this.serialOverlaps.push(`serial key ${key} held by ${ids.join(", ")} at once`);
  }

  sawCode(id: string, code: string): boolean {
    return this.codes.get(id)?.includes(code) ?? false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** A job's whole event log, paged. */
export async function allEvents(url: string, product: string, id: string): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  for (let after = 0; ; ) {
    const r = await call<{ events: JobEvent[] }>(
      url,
      "GET",
      `${P(product)}/jobs/${id}/events?after=${after}&limit=500`,
      ADMIN,
    );
    out.push(...r.body.events);
    const last = r.body.events[r.body.events.length - 1];
    if (!last) return out;
    after = last.seq;
  }
}

/**
 * The spans (ms, server clock) during which the job was running — from its move into `assigned`/`building` to its
 * move out of them — read from its `job.stage` events. A span still open ends at +∞.
 */
export function runningSpans(events: JobEvent[]): Array<{ from: number; to: number }> {
  const spans: Array<{ from: number; to: number }> = [];
  let open: number | undefined;
  for (const e of events) {
    if (e.type !== "job.stage") continue;
    const running = RUNNING.has(String(e.data.to));
    if (running && open === undefined) open = e.at;
    if (!running && open !== undefined) {
      spans.push({ from: open, to: e.at });
      open = undefined;
    }
  }
  if (open !== undefined) spans.push({ from: open, to: Number.POSITIVE_INFINITY });
  return spans;
}

/** The log lines of a job's feed, joined. */
export function logText(events: JobEvent[]): string {
  return events
    .filter((e) => e.type === "log")
    .flatMap((e) => (e.data.lines as Array<{ text: string }>).map((l) => l.text))
    .join("\n");
}
