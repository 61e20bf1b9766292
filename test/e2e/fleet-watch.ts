/**
 * @module test/e2e/fleet-watch
 * What an end-to-end fleet scenario observes from outside: a poller over `GET …/jobs` that records every job it
 * ever saw waiting (neither running nor terminal) without a waiting reason, the reason codes each job showed,
 * the preemption marks it saw, and any moment two jobs sharing a serial key ran at once.
 */
import { WAITING_CODES } from "../../src/core/waiting-reason.ts";
import { type ProductClient, RUNNING_STAGES as RUNNING, type SeenJob } from "./product-client.ts";

/** SPEC §3: terminal stages never wait; running ones (a lease held) do not either. Everything else waits. */
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
    private readonly client: ProductClient,
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
    const r = await this.client.api<{ jobs: SeenJob[] }>("GET", "/jobs?limit=500");
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
