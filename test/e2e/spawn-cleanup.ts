// What a test file that runs `npm start`/`npm run dev` leaves behind, stopped when the file ends: every process tree it
// started (by PID, SIGTERM, as the project stops its own) and every state directory it made — so a failing test still
// leaves nothing running and nothing on disk.
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { afterAll } from "vitest";
import { stopTree } from "../../scripts/process-tree.ts";

/** Lists the caller fills (`started.push(child)`, `dirs.push(dir)`); registers the file's afterAll that empties them. */
export function cleanedUpAfterAll(): { started: ChildProcess[]; dirs: string[] } {
  const started: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const c of started)
      if (c.exitCode === null && c.signalCode === null && c.pid) await stopTree(c.pid, "SIGTERM", 20_000);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return { started, dirs };
}

/**
 * What `child` (spawned with piped stdout and stderr) writes, as it comes: `out()`, `err()`, both interleaved `log()`,
 * and `exited`, its exit code (null when a signal ended it) once it exits.
 */
export function captured(child: ChildProcess) {
  let out = "";
  let err = "";
  let log = "";
  child.stdout?.on("data", (d) => {
    out += d;
    log += d;
  });
  child.stderr?.on("data", (d) => {
    err += d;
    log += d;
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { exited, out: () => out, err: () => err, log: () => log };
}
