/**
 * The local system under test, owned by the benchmark: the local runtime
 * (scripts/local-runtime.ts) on a free loopback port with state in a fresh
 * temp dir. Start-up is retried (a port found free can be taken by another
 * process before the runtime binds it),
 * and each scenario can get a fresh one. Everything started is stopped by
 * `stopAll()`, which is safe to call any number of times.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { freePort, type LocalServer, startLocalServer } from "../scripts/local-server.ts";

const START_ATTEMPTS = 3;

export class LocalSystem {
  readonly admin: string;
  server: LocalServer | undefined;
  private readonly dirs: string[] = [];
  private readonly log: (s: string) => void;
  private stopping: Promise<void> | undefined;

  constructor(admin: string, log: (s: string) => void) {
    this.admin = admin;
    this.log = log;
  }

  get alive(): boolean {
    const c = this.server?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  get exitStatus(): string {
    const c = this.server?.child;
    return c ? String(c.exitCode ?? c.signalCode ?? "running") : "not started";
  }

  /** The last few meaningful lines the runtime wrote (harmless offline warnings left out). */
  lastWords(): string {
    return (this.server?.output() ?? "")
      .split("\n")
      .map((l) => stripVTControlCharacters(l).trim())
      .filter((l) => l && !/Request\.cf|ENOTFOUND|GetAddrInfo|callbackTrampoline/.test(l))
      .slice(-6)
      .join(" | ");
  }

  async start(): Promise<LocalServer> {
    for (let attempt = 1; ; attempt++) {
      const persistTo = mkdtempSync(path.join(tmpdir(), "gf-bench-"));
      this.dirs.push(persistTo);
      const port = await freePort();
      this.log(`starting the local runtime on 127.0.0.1:${port}, state in ${persistTo}`);
      try {
        const server = await startLocalServer({ port, persistTo, adminToken: this.admin });
        this.server = server;
        return server;
      } catch (err) {
        if (attempt >= START_ATTEMPTS || this.stopping) throw err;
        this.log(`start failed (attempt ${attempt}): ${(err as Error).message.split("\n")[0]}; retrying`);
      }
    }
  }

  /** Stop the current runtime (if still up) and start a fresh one on new state. */
  async fresh(): Promise<LocalServer> {
    await this.server?.stop();
    return this.start();
  }

  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      await this.server?.stop();
      for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    })();
    return this.stopping;
  }
}
