/**
 * @module agent/orphan-group
 * The rest of an engine's process group once the engine itself is gone. An agent that is SIGKILLed leaves its
 * engines running (each leads its own group: agent/engine-runner); an engine then often dies at its next write to the
 * pipe the agent held (EPIPE, SIGPIPE), but what it started — a dev server, a test runner, a browser — lives on in its
 * group under init, with no leader whose cwd proves whose it is. The next agent found the leader's pid gone, dropped
 * the job's record and so left that group running for good, holding ports, memory and the workspace.
 *
 * Whose a leaderless group is, told safely (Linux `/proc`): the kernel does not hand a pid out again while a group
 * still bears it as its id, so a group `pgid` whose leader is gone is the one that leader started, unless the pid was
 * reused and its new owner's group outlived it too (after a reboot, say). So the group counts as the engine's only
 * when one of its members still works in that job's workspace (its cwd is the workspace or under it): nothing else
 * on the host has a reason to be there.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import path from "node:path";

/** `/proc/<pid>/stat` → [state, pgid], or undefined when it is gone. comm may hold spaces or ')': split after the last. */
function stateAndGroup(pid: string): [string, number] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return [fields[0] ?? "", Number(fields[2])];
  } catch {
    return undefined;
  }
}

/** Whether `pid` has exited: no such process, or a zombie waiting to be reaped. */
export function leaderGone(pid: number): boolean {
  const st = stateAndGroup(String(pid));
  return st === undefined || st[0] === "Z" || st[0] === "X";
}

/**
 * Whether the process group `pgid` has a live member working in `workspace` (cwd at or under it). False off Linux,
 * when the workspace is gone, or when no member can be read.
 */
export function groupWorksIn(pgid: number, workspace: string): boolean {
  let root: string;
  try {
    root = realpathSync(workspace);
  } catch {
    return false;
  }
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = stateAndGroup(name);
    if (!st || st[1] !== pgid || st[0] === "Z" || st[0] === "X") continue;
    try {
      const cwd = readlinkSync(`/proc/${name}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}${path.sep}`)) return true;
    } catch {
      /* gone meanwhile, or not readable: it proves nothing */
    }
  }
  return false;
}
