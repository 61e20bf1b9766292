/**
 * @module test/e2e/product-client
 * One product's REST API as an end-to-end scenario uses it: submit, read and wait for jobs (polling with a
 * deadline, never a fixed sleep), act as an operator, and read a job's tree, runs, reviews and whole event log —
 * plus the facts a scenario derives from a log (its running spans, its log text).
 */
import { poll } from "./agent-procs.ts";
import { ADMIN, call, P, type Reply } from "./harness.ts";

/** The fields of a job (whole or listed summary) the scenarios read. */
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
  waitingReason?: { code: string; message: string; since: number; detail: Record<string, unknown> } | null;
}

export interface TreeNode {
  id: string;
  title: string;
  stage: string;
  kind: string;
  deps: string[];
  waitingReason: { code: string } | null;
  children: TreeNode[];
}

export interface Run {
  jobId: string;
  leaseEpoch: number;
  attempt: number;
  factoryId: string;
  startedAt: number;
  endedAt?: number;
  result?: { outcome: string; message?: string };
}

export interface JobEvent {
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

export interface Reviews {
  required: number;
  approvals: number;
  reviews: Array<{ reviewer: string; reviewerName: string; verdict: string }>;
}

export class ProductClient {
  constructor(
    readonly url: string,
    readonly product: string,
  ) {}

  api<T = SeenJob>(method: string, p: string, json?: unknown, token = ADMIN): Promise<Reply<T>> {
    return call<T>(this.url, method, `${P(this.product)}${p}`, token, json);
  }

  /** `POST …/jobs` → the job (the parent, when the manifest lists children); throws unless 201. */
  async submit(manifest: Record<string, unknown>, bodyMd = ""): Promise<SeenJob> {
    const r = await this.api<SeenJob & { parent?: SeenJob }>("POST", "/jobs", { manifest, bodyMd });
    if (r.status !== 201) throw new Error(`submit ${String(manifest.title)}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.parent ?? r.body;
  }

  async job(id: string): Promise<SeenJob> {
    return (await this.api("GET", `/jobs/${id}`)).body;
  }

  /** The job once `pred` holds for it; the error names the last state seen. */
  async waitJob(id: string, pred: (j: SeenJob) => boolean, ms = 60_000): Promise<SeenJob> {
    let last: SeenJob | undefined;
    return poll(`job ${id}`, ms, async () => {
      last = await this.job(id);
      return pred(last) ? last : undefined;
    }).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${JSON.stringify(last)}`);
    });
  }

  /** `POST …/jobs/{id}/actions/{action}` with `token`; throws unless 200. */
  async act(id: string, action: string, token: string): Promise<SeenJob> {
    const r = await this.api("POST", `/jobs/${id}/actions/${action}`, {}, token);
    if (r.status !== 200) throw new Error(`${action} ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async tree(id: string): Promise<TreeNode> {
    const r = await this.api<{ root: TreeNode }>("GET", `/jobs/${id}/tree`);
    if (r.status !== 200) throw new Error(`tree ${id}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.root;
  }

  async runs(id: string): Promise<Run[]> {
    return (await this.api<{ runs: Run[] }>("GET", `/jobs/${id}/runs`)).body.runs;
  }

  async reviews(id: string): Promise<Reviews> {
    return (await this.api<Reviews>("GET", `/jobs/${id}/reviews`)).body;
  }

  /** A job's whole event log, paged. */
  async events(id: string): Promise<JobEvent[]> {
    const out: JobEvent[] = [];
    for (let after = 0; ; ) {
      const r = await this.api<{ events: JobEvent[] }>("GET", `/jobs/${id}/events?after=${after}&limit=500`);
      out.push(...r.body.events);
      const last = r.body.events[r.body.events.length - 1];
      if (!last) return out;
      after = last.seq;
    }
  }

  /** Mint one operator token per name (admin): distinct principals. */
  async operators(names: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const name of names) {
      const r = await this.api<{ token: string }>("POST", "/tokens", { role: "operator", name });
      if (r.status !== 201) throw new Error(`mint ${name}: ${r.status} ${JSON.stringify(r.body)}`);
      out.push(r.body.token);
    }
    return out;
  }
}

/** A job holds a lease in these stages. */
export const RUNNING_STAGES = new Set(["assigned", "building"]);

/**
 * The spans (ms, server clock) during which the job was running — from its move into `assigned`/`building` to its
 * move out of them — read from its `job.stage` events. A span still open ends at +∞.
 */
export function runningSpans(events: JobEvent[]): Array<{ from: number; to: number }> {
  const spans: Array<{ from: number; to: number }> = [];
  let open: number | undefined;
  for (const e of events) {
    if (e.type !== "job.stage") continue;
    const running = RUNNING_STAGES.has(String(e.data.to));
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
