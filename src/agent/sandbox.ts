/**
 * @module agent/sandbox
 * When the engine has to run as the agent's own user (no root, or `--engine-user`
 * naming that user), file modes cannot keep it from the factory token: so, when
 * bubblewrap (`bwrap`) is installed and works here, the engine runs inside it — the
 * whole filesystem as it is, except the state dir (an empty tmpfs in its place) and
 * the config file (`/dev/null`), in its own PID namespace with its own /proc, so no
 * `/proc/<agent>/environ` either. Without bwrap the engine runs as before, and the
 * agent says so at start-up (README "Security model" states what remains).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { findOnPath, hostPathLookup } from "./capabilities.ts";

export interface Sandbox {
  /** The bwrap binary. */
  bwrap: string;
  /** Directories replaced by an empty tmpfs (the state dir). */
  hideDirs: string[];
  /** Files replaced by /dev/null (a `--config` file outside the state dir). */
  hideFiles: string[];
}

/** The argv that runs `argv` inside the sandbox (bwrap options, then `--`, then the engine's own argv). */
export function sandboxedArgv(argv: readonly string[], box: Sandbox): string[] {
  return [
    box.bwrap,
    "--die-with-parent",
    "--dev-bind",
    "/",
    "/",
    ...box.hideDirs.flatMap((d) => ["--tmpfs", d]),
    ...box.hideFiles.flatMap((f) => ["--ro-bind", "/dev/null", f]),
    "--unshare-pid",
    "--proc",
    "/proc",
    "--",
    ...argv,
  ];
}

/**
 * What engines run in on this host: for an engine user (agent/engine-user), the PID namespace alone
 * (`detectPidNamespace`); for the agent's own user, the sandbox without the state dir (`detectSandbox`).
 */
export function engineSandbox(
  stateDir: string,
  configFile: string,
  engineUser: { uid: number; gid: number } | undefined,
): Sandbox | undefined {
  return engineUser ? detectPidNamespace(engineUser) : detectSandbox(stateDir, configFile);
}

/**
 * The sandbox for this host, or undefined when bwrap is missing or cannot run here
 * (unprivileged user namespaces disabled): a probe runs `true` inside it once.
 */
export function detectSandbox(stateDir: string, configFile: string): Sandbox | undefined {
  const bwrap = findOnPath("bwrap", hostPathLookup());
  if (!bwrap) return undefined;
  const inside = path.relative(stateDir, configFile);
  const box: Sandbox = {
    bwrap,
    hideDirs: [stateDir],
    hideFiles: existsSync(configFile) && (inside.startsWith("..") || path.isAbsolute(inside)) ? [configFile] : [],
  };
  return works(box) ? box : undefined;
}

/**
 * For engines run as another user (agent/engine-user), whose file modes keep them from the state dir already: the
 * PID namespace alone. Without it a process that leaves the engine's process group (`setsid`, a daemonising tool)
 * outlives the group's SIGKILL and runs, and spends, on after a cancel, a lost lease or the agent's exit; in it, it
 * dies with the namespace's first process. Nothing hidden (that user could not reach the state dir to hide it).
 * Probed as `as`; undefined when bwrap is missing or cannot run as that user.
 */
export function detectPidNamespace(as: { uid: number; gid: number }): Sandbox | undefined {
  const bwrap = findOnPath("bwrap", hostPathLookup());
  if (!bwrap) return undefined;
  const box: Sandbox = { bwrap, hideDirs: [], hideFiles: [] };
  return works(box, as) ? box : undefined;
}

/** Whether `true` runs inside `box` (as `as`, else this user), within 10 s. */
function works(box: Sandbox, as?: { uid: number; gid: number }): boolean {
  const [cmd, ...args] = sandboxedArgv(["true"], box);
  const user = as ? { uid: as.uid, gid: as.gid } : {};
  return spawnSync(cmd as string, args, { stdio: "ignore", timeout: 10_000, ...user }).status === 0;
}
