/**
 * @module agent/sandbox
 * When the engine has to run as the agent's own user (no root, or `--engine-user`
 * naming that user), file modes cannot keep it from the factory token: so, when
 * bubblewrap (`bwrap`) is installed and works here, the engine runs inside it — the
 * whole filesystem as it is, except the state dir (an empty tmpfs in its place),
 * the config file (`/dev/null`, at its real path) and the agent's own installation (read-only, but for the work dirs
 * inside it: agent/sandbox-mounts; the work dir and the agent's dirs in it are mount points, never swapped for a link:
 * agent/work-dirs), in its own PID namespace with its own /proc, so no
 * `/proc/<agent>/environ` either. Without bwrap the engine runs as before, and the
 * agent says so at start-up (README "Security model" states what remains).
 */
import { spawnSync } from "node:child_process";
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { findOnPath, hostPathLookup } from "./capabilities.ts";
import { agentInstallDirs, mountArgs, realPath, within, writableInside } from "./sandbox-mounts.ts";

export interface Sandbox {
  /** The bwrap binary. */
  bwrap: string;
  /** Directories replaced by an empty tmpfs (the state dir). */
  hideDirs: string[];
  /** Files replaced by /dev/null (a `--config` file outside the state dir). */
  hideFiles: string[];
  /** The agent's installation (agent/sandbox-mounts `agentInstallDirs`), bound read-only. */
  readOnly: string[];
  /** Directories inside `readOnly` an engine must write (the work dir…), bound writable again. */
  writable: string[];
  /** The directories engines write that existed at start (agent/work-dirs), each bound onto itself: never swapped. */
  pinned: string[];
  /** The mount options, in order (agent/sandbox-mounts `mountArgs`): computed once, by `detectSandbox`. */
  mounts: string[];
  /** This bwrap writes `--json-status-fd` (0.3.2 and later): an engine it could not exec is told apart. */
  status?: boolean;
}

/** The fd an engine's bwrap writes its status on (agent/engine-runner opens it as a fourth pipe). */
export const SANDBOX_STATUS_FD = 3;

/**
 * The argv that runs `argv` inside the sandbox (bwrap options, then `--`, then the engine's own argv). With `status`
 * (and a bwrap that has it), bwrap writes JSON lines on SANDBOX_STATUS_FD: `exit-code` only once its exec of `argv`
 * succeeded, so a run without one never started (agent/engine-start).
 */
export function sandboxedArgv(argv: readonly string[], box: Sandbox, status = false): string[] {
  return [
    box.bwrap,
    ...(status && box.status ? ["--json-status-fd", String(SANDBOX_STATUS_FD)] : []),
    "--die-with-parent",
    "--dev-bind",
    "/",
    "/",
    ...box.mounts,
    "--unshare-pid",
    "--proc",
    "/proc",
    "--",
    ...argv,
  ];
}

/**
 * The sandbox for this host, or undefined when bwrap is missing or cannot run here
 * (unprivileged user namespaces disabled): a probe runs `true` inside it once, with every mount the engine's gets.
 * @param writable the directories engines and the agent's sandboxed git must write (the work dir and the agent's own
 *   dirs in it, the checkpoint remote): made now when they lie inside the agent's installation, so they can be bound
 *   writable over it; and each that exists bound onto itself, its parents too — a mount point cannot be renamed or
 *   removed (EBUSY), so an engine cannot swap one for a link to where the agent, outside, would then act
 * @param install the installation's directories (tests); default agent/sandbox-mounts `agentInstallDirs()`
 */
export function detectSandbox(
  stateDir: string,
  configFile: string,
  writable: readonly string[] = [],
  install: readonly string[] = agentInstallDirs(),
): Sandbox | undefined {
  const bwrap = findOnPath("bwrap", hostPathLookup());
  if (!bwrap) return undefined;
  const readOnly = [...install];
  const hide = { hideDirs: [stateDir], hideFiles: configOutside(stateDir, configFile) };
  const rw = writableInside(readOnly, writable);
  const pinned = pinnable(writable, stateDir);
  const box: Sandbox = {
    bwrap,
    ...hide,
    readOnly,
    writable: rw,
    pinned,
    mounts: mountArgs({ ...hide, readOnly, writable: rw, pinned }),
  };
  const [cmd, ...args] = sandboxedArgv(["true"], { ...box, status: true }, true);
  const stdio = ["ignore", "ignore", "ignore", "pipe"] as const;
  const probe = spawnSync(cmd as string, args, { stdio: [...stdio], timeout: 10_000 });
  if (probe.status === 0) return { ...box, status: /"exit-code"/.test(String(probe.output[SANDBOX_STATUS_FD] ?? "")) };
  const [plain, ...rest] = sandboxedArgv(["true"], box); // a bwrap older than --json-status-fd
  return spawnSync(plain as string, rest, { stdio: "ignore", timeout: 10_000 }).status === 0 ? box : undefined;
}

/** The real paths of the directories of `dirs` that exist, but for any inside the state dir (hidden whole). */
function pinnable(dirs: readonly string[], stateDir: string): string[] {
  const state = realPath(stateDir);
  const out = dirs.flatMap((d) => (statSync(d, { throwIfNoEntry: false })?.isDirectory() ? [realPath(d)] : []));
  return [...new Set(out)].filter((d) => !within(state, d));
}

/**
 * `[the config file's real path]` when the state dir's tmpfs does not hide it, else `[]`. Real paths, not the names
 * given: a `config.json` in the state dir that is a link to a secret elsewhere (a secrets manager's file) was taken
 * for inside and left readable through its target.
 */
function configOutside(stateDir: string, configFile: string): string[] {
  let real: string;
  try {
    real = realpathSync(configFile);
  } catch {
    return []; // none: nothing to hide
  }
  let dir = stateDir;
  try {
    dir = realpathSync(stateDir);
  } catch {
    /* not made yet: the name it was given */
  }
  const inside = path.relative(dir, real);
  return inside.startsWith("..") || path.isAbsolute(inside) ? [real] : [];
}
