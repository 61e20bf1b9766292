/**
 * @module scripts/process-tree
 * Stopping what we started, all of it: a process's descendants found by walking the
 * ppid links in /proc (Linux; elsewhere only the process itself), a graceful signal
 * first, and SIGKILL to every process of the tree that outlives the grace period — a
 * runtime wedged under load may ignore SIGTERM and keep its port. A zombie counts as
 * dead: it has exited and holds nothing; only its parent's reaping is left.
 */
import { readdirSync, readFileSync } from "node:fs";

/** `/proc/<pid>/stat` → [state, ppid], or undefined when the process is gone. */
function stat(pid: number): [string, number] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may itself contain spaces or ')': split after the last one.
    const [state, ppid] = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return [state ?? "", Number(ppid)];
  } catch {
    return undefined;
  }
}

/** True while `pid` exists and has not exited (a zombie — state Z or X — has). */
export function isRunning(pid: number): boolean {
  if (process.platform === "linux") {
    const st = stat(pid);
    return st !== undefined && st[0] !== "Z" && st[0] !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every live descendant of `root` (children, grandchildren, …), as they are right now. */
export function descendants(root: number): number[] {
  if (process.platform !== "linux") return [];
  const children = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = stat(Number(name));
    if (!st || st[0] === "Z") continue;
    const list = children.get(st[1]) ?? [];
    list.push(Number(name));
    children.set(st[1], list);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    for (const c of children.get(todo.pop() as number) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** Resolves true once none of `pids` is running, false if some still are after `ms`. Polls /proc every 50 ms. */
export async function waitGone(pids: readonly number[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!pids.some(isRunning)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Stop `pid` and everything under it: `sig` to `pid` alone (it stops its own children
 * in order — an agent drains, a runtime disposes workerd), then, if anything of the
 * tree is still running after `graceMs`, SIGKILL to all of it. The tree is read before
 * the signal and again at the deadline, so neither a child that was reparented
 * while its parent exited nor one started during the stop escapes. Resolves when all
 * are gone; returns whether the grace period sufficed.
 */
export async function stopTree(pid: number, sig: NodeJS.Signals, graceMs: number): Promise<boolean> {
  const seen = new Set([pid, ...descendants(pid)]);
  signal(pid, sig);
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    for (const d of isRunning(pid) ? descendants(pid) : []) seen.add(d);
    if (![...seen].some(isRunning)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const d of isRunning(pid) ? descendants(pid) : []) seen.add(d);
  for (const p of seen) if (isRunning(p)) signal(p, "SIGKILL");
  await waitGone([...seen], 5_000); // SIGKILL cannot be ignored: only the kernel's teardown is left
  return false;
}

/** SIGKILL every descendant of `root` now (the caller is about to exit and cannot wait for a graceful stop). */
export function killDescendants(root: number): void {
  for (const pid of descendants(root)) signal(pid, "SIGKILL");
}

/** What stopChildren needs of a spawned child (a ChildProcess). */
export interface Spawned {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
}

/**
 * `stopTree` for each of `children` still running, together (`npm start`'s agents and the enrollments it ran). One
 * that has exited is skipped: Node reaps a child and records its exit in the same step, so its pid is free from then
 * on and may be anyone's by the time of the stop (an enrollment that ended hours ago) — signalling it, and SIGKILLing
 * that process's whole tree after the grace, hit a stranger.
 */
export async function stopChildren(children: readonly Spawned[], sig: NodeJS.Signals, graceMs: number): Promise<void> {
  const live = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(live.map((c) => (c.pid === undefined ? null : stopTree(c.pid, sig, graceMs))));
}
