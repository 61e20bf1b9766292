/**
 * @module test/unit/agent-fakes
 * What the agent's seat tests run a real SeatRunner (or Supervisor) against: a fake coordinator connection that
 * records every frame and answers each through a hook the test sets (throw a FrameError to refuse one), a local HTTP
 * server standing in for the artifact upload endpoint, a run config in a temp dir with the bundled sample engine, the
 * context a SeatRunner runs in over them, and a detached process standing in for an engine an earlier agent left.
 * The engine, git workspaces, checkpoints and job records are all real.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import type { RunConfig } from "../../src/agent/config.ts";
import { type ConnectionOptions, FactoryConnection, type OutFrame, type Welcome } from "../../src/agent/connection.ts";
import { sampleTemplate } from "../../src/agent/engines.ts";
import { createOutput, type Output } from "../../src/agent/output.ts";
import type { SeatContext } from "../../src/agent/seat-runner.ts";
import { type JobRecord, JobRecords } from "../../src/agent/state.ts";
import { Supervisor } from "../../src/agent/supervisor.ts";
import type { Job } from "../../src/core/model.ts";
import type { Assignment, ServerFrame } from "../../src/shared/protocol.ts";

/** A coordinator connection that is always ready: `answer` decides each request's fate (default: acknowledged). */
export class FakeConnection {
  readonly sent: OutFrame[] = [];
  readonly endpoint = "ws://fake/connect";
  ready = true;
  answer: (frame: OutFrame) => unknown = () => ({});
  private readonly opts: ConnectionOptions | undefined;

  constructor(opts?: ConnectionOptions) {
    this.opts = opts;
  }

  asConnection(): FactoryConnection {
    return this as unknown as FactoryConnection;
  }

  start(): void {}
  close(): void {}
  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  async request(frame: OutFrame): Promise<unknown> {
    this.sent.push(frame);
    return this.answer(frame);
  }

  /** The coordinator's side of the socket (only with a Supervisor, which passes its handlers). */
  welcome(leases: Assignment[] = [], over: Partial<Welcome> = {}): void {
    const w: Welcome = {
      type: "welcome",
      v: 1,
      factoryId: "fac_test",
      productId: "p",
      queueVersion: 1,
      heartbeatIntervalMs: 30_000,
      leases,
      ...over,
    };
    this.opts?.handlers.onWelcome(w);
  }

  push(frame: ServerFrame): void {
    this.opts?.handlers.onFrame(frame);
  }

  frames(type: OutFrame["type"]): OutFrame[] {
    return this.sent.filter((f) => f.type === type);
  }

  /** The run's final report for `jobId` (its `complete` or `fail` frame), if it was sent. */
  finalReport(jobId: string): OutFrame | undefined {
    return this.sent.find((f) => (f.type === "fail" || f.type === "complete") && f.jobId === jobId);
  }
}

/** The artifact upload endpoint: records each POST, answers 201. */
export async function artifactServer(): Promise<{ url: string; uploads: string[]; close: () => Promise<void> }> {
  const uploads: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      uploads.push(req.url ?? "");
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ name: "x", size: 0, sha256: "", contentType: "text/plain" }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    uploads,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A temp state dir + work dir and a run config using them, with the sample engine; `remove` deletes it all. */
export function tempAgent(url: string, over: Partial<RunConfig> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-seat-"));
  const workDir = path.join(dir, "work");
  const cfg: RunConfig = {
    url,
    product: "p",
    token: "gf_test",
    name: "test-host",
    seats: 1,
    extraCaps: [],
    engines: {},
    stateDir: path.join(dir, "state"),
    workDir,
    checkpointRemote: path.join(workDir, "checkpoints.git"),
    checkpointIntervalMs: 60_000,
    drainTimeoutMs: 5_000,
    keepWorkspaces: false,
    json: true,
    engineEnv: [],
    allowLocalRepos: false,
    ...over,
  };
  const events: Array<Record<string, unknown>> = [];
  const out: Output = createOutput(true, {
    out: (line) => events.push(JSON.parse(line) as Record<string, unknown>),
    err: (line) => events.push({ event: "stderr", message: line }),
  });
  const engines = new Map([["sample", sampleTemplate(process.execPath)]]);
  return { dir, cfg, out, events, engines, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An assignment of a scratch job (no repo) for the sample engine; `body` holds its `gf-sample-*` directives. */
export function assignment(id: string, body: string, leaseEpoch = 1, over: Partial<Job> = {}): Assignment {
  const job = {
    id,
    productId: "p",
    title: `job ${id}`,
    bodyMd: body,
    stage: "queued",
    engine: "sample",
    budget: {},
    attempt: 1,
    maxAttempts: 3,
    leaseEpoch,
    ...over,
  } as unknown as Job;
  return { job, leaseEpoch, expiresAt: Date.now() + 60_000, ttlSeconds: 60 };
}

/**
 * What a SeatRunner runs with: `conn`, the temp agent's config, output, engines and a fresh JobRecords on its state
 * dir, the artifact endpoint at `restUrl` (product `p`, token `gf_test`); `over` on top (`features`, other engines…).
 */
export function seatContext(
  conn: FakeConnection,
  agent: ReturnType<typeof tempAgent>,
  restUrl: string,
  over: Partial<SeatContext> = {},
): SeatContext {
  return {
    conn: conn.asConnection(),
    cfg: agent.cfg,
    out: agent.out,
    records: new JobRecords(agent.cfg.stateDir),
    engines: agent.engines,
    rest: { url: restUrl, product: "p", token: "gf_test" },
    ...over,
  };
}

/** A detached process sleeping 60 s in `cwd` (its own process group, as an engine is), standing in for one left behind: its pid. */
export function straySleeper(cwd: string): number {
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], {
    cwd,
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  return child.pid as number;
}

/** Poll until `probe` is truthy (every 20 ms, up to `ms`). */
export async function until<T>(what: string, probe: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A disk that fills up as the engine starts: the write of `records` that records the engine's pid throws ENOSPC, an
 * agent error while the engine runs. `pid()`: that engine's pid once it started; `killGroup()` SIGKILLs its process
 * group whatever the run did (for a `finally`).
 */
export function failEnginePidWrite(records: JobRecords): { pid: () => number | undefined; killGroup: () => void } {
  let pid: number | undefined;
  const write = records.write.bind(records);
  records.write = (r: JobRecord) => {
    if (r.enginePid === undefined) return write(r);
    pid = r.enginePid;
    throw new Error("ENOSPC: no space left on device, write");
  };
  const killGroup = () => {
    try {
      if (pid !== undefined) process.kill(-pid, "SIGKILL");
    } catch {
      /* gone already */
    }
  };
  return { pid: () => pid, killGroup };
}

/**
 * The artifact endpoint (`artifactServer`) for a test file: started before its tests, closed after them. Its `url`
 * and `uploads` are read inside a test (they are set once it listens).
 */
export function useArtifactServer(): { url: string; uploads: string[] } {
  const box = { url: "", uploads: [] as string[] };
  let close = async (): Promise<void> => {};
  beforeAll(async () => {
    const server = await artifactServer();
    box.url = server.url;
    box.uploads = server.uploads;
    close = server.close;
  });
  afterAll(() => close());
  return box;
}

/**
 * A supervisor on a fake connection, offering `engines` (default the agent's: sample) in that order; `stop` drains it
 * (engines stopped, seats ended) and waits for its exit.
 */
export function fakeSupervisor(agent: ReturnType<typeof tempAgent>, engines: Map<string, string> = agent.engines) {
  let conn: FakeConnection | undefined;
  const names = [...engines.keys()];
  const sup = new Supervisor({
    cfg: agent.cfg,
    out: agent.out,
    engines,
    hello: {
      capabilities: names.map((n) => `engine:${n}`),
      seats: agent.cfg.seats,
      engines: names,
      agentVersion: "test",
    },
    connect: (o) => {
      conn = new FakeConnection(o);
      return conn.asConnection();
    },
  });
  const exited = sup.run();
  const stop = async () => {
    void sup.drain("SIGTERM");
    await exited;
  };
  return { conn: conn as FakeConnection, records: new JobRecords(agent.cfg.stateDir), stop };
}

/** A real FactoryConnection to a port nothing listens on, never started: its timers run on whatever clock the test set. */
export function offlineConnection(): FactoryConnection {
  return new FactoryConnection({
    url: "http://127.0.0.1:2",
    product: "p",
    token: "t",
    hello: () => ({ seats: 1, capabilities: [], engines: [], agentVersion: "test" }),
    handlers: { onWelcome() {}, onFrame() {}, onDisconnected() {}, onFatal() {} },
  });
}
