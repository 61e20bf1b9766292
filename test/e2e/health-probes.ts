/**
 * @module test/e2e/health-probes
 * What a money-and-health scenario reads from outside, over the product's REST API and the agents' own files: the
 * budget, alerts (all pages), a factory's breakers as `GET …/factories` lists them, where a job ran, the changes a
 * webhook must have heard of (each job's stage events, each alert's life), a run's local log and whether an engine
 * process is alive. Every wait is a poll for a state with a deadline.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { poll } from "./agent-procs.ts";
import type { ProductClient } from "./product-client.ts";

export interface Alert {
  id: string;
  kind: string;
  subject: string;
  state: "open" | "acknowledged" | "resolved";
}

export interface Factory {
  id: string;
  status: string;
  breakers?: Array<{ engine: string; state: string; consecutiveFailures: number }>;
}

export interface Budget {
  state: string;
  spentUsd: number;
  pausedBy?: string;
}

/** The answer's body; throws naming the status and body unless it is `status`. */
async function okBody<T>(p: Promise<{ status: number; body: T }>, what: string, status = 200): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export class HealthProbes {
  constructor(private readonly c: ProductClient) {}

  budget(): Promise<Budget> {
    return okBody(this.c.api<Budget>("GET", "/budget"), "GET budget");
  }

  /** The budget once it is in `state`. */
  budgetIn(state: string): Promise<Budget> {
    return poll(`budget ${state}`, 30_000, async () => {
      const v = await this.budget();
      return v.state === state ? v : undefined;
    });
  }

  /** Every alert (newest first), or those in one state; all pages. */
  async alerts(state?: string): Promise<Alert[]> {
    const out: Alert[] = [];
    for (let cursor = ""; ; ) {
      const q = `?limit=200${state ? `&state=${state}` : ""}${cursor ? `&cursor=${cursor}` : ""}`;
      const page = await okBody(this.c.api<{ alerts: Alert[]; nextCursor?: string }>("GET", `/alerts${q}`), "alerts");
      out.push(...page.alerts);
      if (!page.nextCursor) return out;
      cursor = page.nextCursor;
    }
  }

  /** The open or acknowledged alert of `kind` on `subject`, once there is one. */
  liveAlert(kind: string, subject: string): Promise<Alert> {
    return poll(`a live ${kind} alert on ${subject}`, 60_000, async () =>
      (await this.alerts()).find((a) => a.kind === kind && a.subject === subject && a.state !== "resolved"),
    );
  }

  resolved(id: string): Promise<Alert> {
    return poll(`alert ${id} resolved`, 30_000, async () => (await this.alerts("resolved")).find((a) => a.id === id));
  }

  /** A factory as `GET …/factories` lists it, with its breakers. */
  async factory(id: string): Promise<Factory> {
    const list = await okBody(this.c.api<{ factories: Factory[] }>("GET", "/factories"), "factories");
    const f = list.factories.find((x) => x.id === id);
    if (!f) throw new Error(`factory ${id} is not listed`);
    return f;
  }

  async breakerOf(factoryId: string, engine: string) {
    return (await this.factory(factoryId)).breakers?.find((b) => b.engine === engine);
  }

  /** The breaker of `engine` on `factoryId` once it is in `state`. */
  breakerIn(factoryId: string, engine: string, state: string) {
    return poll(`breaker ${factoryId}:${engine} ${state}`, 30_000, async () => {
      const b = await this.breakerOf(factoryId, engine);
      return b?.state === state ? b : undefined;
    });
  }

  /** The factories a job's runs were on, oldest first. */
  async ranOn(jobId: string): Promise<string[]> {
    return (await this.c.runs(jobId)).map((r) => r.factoryId);
  }

  /**
   * The changes a webhook receiver must have heard of, as sorted keys (see WebhookReceiver `keys`): each job's
   * `job.submitted` and every `job.stage` with the stage it entered, from its event log; each alert's opening,
   * and its resolution once resolved; plus `acknowledged` for the alert ids given.
   */
  async changes(jobIds: string[], acknowledged: string[]): Promise<string[]> {
    const out: string[] = [];
    for (const id of jobIds)
      for (const e of await this.c.events(id))
        if (e.type === "job.submitted") out.push(`${id} job.submitted`);
        else if (e.type === "job.stage") out.push(`${id} job.stage ${String(e.data.to)}`);
    for (const al of await this.alerts()) {
      out.push(`${al.id} alert.opened`);
      if (al.state === "resolved") out.push(`${al.id} alert.resolved`);
    }
    for (const id of acknowledged) out.push(`${id} alert.acknowledged`);
    return out.sort();
  }
}

/** The agent's own log of a job's runs (`<state-dir>/logs/<jobId>-a<attempt>.log`, kept with --keep-workspaces). */
export function readRunLog(stateDir: string, jobId: string): string {
  const dir = path.join(stateDir, "logs");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${jobId}-`)) : [];
  return files.map((f) => readFileSync(path.join(dir, f), "utf8")).join("\n");
}

/** Whether the engine process of a job (the pid file the sample engine writes to GF_SAMPLE_PID_DIR) is alive. */
export function engineAlive(pidDir: string, jobId: string): boolean {
  const file = path.join(pidDir, `${jobId}.pid`);
  if (!existsSync(file)) return false;
  try {
    process.kill(Number(readFileSync(file, "utf8")), 0);
    return true;
  } catch {
    return false;
  }
}
