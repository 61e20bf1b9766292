/**
 * @module test/e2e/agent-procs
 * Real `gigafactory-agent` processes for end-to-end scenarios: enrolled with a one-time code (capabilities and
 * seats granted at enrollment), run with the bundled sample engine, their NDJSON events readable, and every
 * process they started — agents and any engine left behind — stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { reachableSampleArgs } from "../../scripts/engine-user-reach.ts";
import { ROOT, toolEnv } from "../../scripts/local-server.ts";
import { ADMIN, call, P } from "./harness.ts";

const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const BIN = path.join(ROOT, "bin", "gigafactory-agent.mjs");

/** Poll `probe` every 100 ms until it returns something truthy; throws naming `what` after `ms`. */
export async function poll<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One running agent process: its NDJSON lines and stderr, and its exit. */
export class AgentProc {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>) {
    this.proc = spawn(NODE, [BIN, ...args], { cwd: ROOT, env: toolEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    const split = (stream: NodeJS.ReadableStream, into: string[]) => {
      let buf = "";
      stream.setEncoding("utf8");
      stream.on("data", (d: string) => {
        buf += d;
        const parts = buf.split("\n");
        buf = parts.pop() ?? "";
        into.push(...parts.filter(Boolean));
      });
    };
    split(this.proc.stdout as NodeJS.ReadableStream, this.lines);
    split(this.proc.stderr as NodeJS.ReadableStream, this.stderr);
    this.exited = new Promise((r) => this.proc.once("exit", (code) => r(code)));
  }

  events(): Array<Record<string, unknown>> {
    return this.lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  waitFor(event: string, pred: (e: Record<string, unknown>) => boolean = () => true, ms = 60_000) {
    return poll(`agent event ${event}`, ms, () => this.events().find((e) => e.event === event && pred(e)));
  }

  output(): string {
    return [...this.lines, ...this.stderr].join("\n");
  }
}

/** The agents of one test file, in a temp dir of their own; `stopAll` ends them and their engines by PID. */
export class AgentFleet {
  readonly dir = mkdtempSync(path.join(tmpdir(), "gf-e2e-fleet-"));
  readonly pids = path.join(this.dir, "pids");
  readonly agents: AgentProc[] = [];

  constructor(private readonly url: string) {
    // Under root, engines run as `nobody`: it must reach the work dirs and write the sample engine's pid files.
    chmodSync(this.dir, 0o755);
    mkdirSync(this.pids, { mode: 0o777 });
    chmodSync(this.pids, 0o777);
  }

  /** `gigafactory-agent enroll` with a fresh one-time code; the grant (caps, seats) is what enrollment approves. */
  async enroll(product: string, name: string, caps: string[], seats: number) {
    const code = await call<{ code: string }>(this.url, "POST", `${P(product)}/factories/enrollment-codes`, ADMIN, {});
    if (code.status !== 201) throw new Error(`enrollment code: ${code.status} ${JSON.stringify(code.body)}`);
    const stateDir = path.join(this.dir, product, name);
    const flags = ["--url", this.url, "--product", product, "--code", code.body.code, "--name", name];
    const grant = ["--seats", String(seats), ...caps.flatMap((c) => ["--cap", c])];
    const proc = new AgentProc(["enroll", ...flags, ...grant, "--state-dir", stateDir, "--json"], {});
    this.agents.push(proc);
    if ((await proc.exited) !== 0) throw new Error(`enroll ${name} failed:\n${proc.output()}`);
    const cfg = JSON.parse(readFileSync(path.join(stateDir, "config.json"), "utf8")) as { factoryId: string };
    return { stateDir, factoryId: cfg.factoryId };
  }

  /** `gigafactory-agent run --json` with the sample engine, WIP checkpoints every 0.5 s; `env` on top (e.g. `GF_SAMPLE_*`). */
  run(stateDir: string, extra: string[] = [], env: Record<string, string> = {}): AgentProc {
    const args = [
      "run",
      "--state-dir",
      stateDir,
      "--work-dir",
      `${stateDir}-work`,
      "--checkpoint-interval",
      "0.5",
      ...reachableSampleArgs(ROOT),
      ...extra,
      "--json",
    ];
    const proc = new AgentProc(args, { ...env, GF_SAMPLE_PID_DIR: this.pids });
    this.agents.push(proc);
    return proc;
  }

  /** SIGTERM each live agent (SIGKILL after 15 s), then SIGKILL any engine whose pid file names a live process. */
  async stopAll(): Promise<void> {
    for (const a of this.agents) {
      if (a.proc.exitCode !== null || a.proc.signalCode !== null) continue;
      a.proc.kill("SIGTERM");
      const timer = setTimeout(() => a.proc.kill("SIGKILL"), 15_000);
      await a.exited;
      clearTimeout(timer);
    }
    for (const f of existsSync(this.pids) ? readdirSync(this.pids) : []) {
      const pid = Number(readFileSync(path.join(this.pids, f), "utf8"));
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
