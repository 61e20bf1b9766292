/**
 * @module scripts/engine-user-reach
 * Whether the default engine user of a root agent (`nobody`, see src/agent/engine-user.ts) can run this
 * checkout's bundled Node and sample engine — the demo and the end-to-end tests need that. It cannot when the
 * checkout sits under a private directory (e.g. `/root`, mode 0700): there the local agents are given
 * `--engine-user <our own user>` instead (bubblewrap when present, else the agent's `engine.unconfined`
 * warning), so `npm start` and the tests still work, and the operator is told why.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

/** `nobody`'s uid and gid on Debian: what a root agent runs engines as by default. */
const NOBODY = 65534;

/**
 * True when this process is not root (no engine user is involved) or when `nobody` can execute
 * `<root>/node_modules/.bin/node` and read `<root>/examples` (every parent traversable).
 */
export function engineUserReaches(root: string): boolean {
  if (process.getuid?.() !== 0) return true;
  const node = path.join(root, "node_modules", ".bin", "node");
  const probe = spawnSync("sh", ["-c", 'test -x "$1" && test -r "$2"', "sh", node, path.join(root, "examples")], {
    uid: NOBODY,
    gid: NOBODY,
    stdio: "ignore",
  });
  return probe.status === 0;
}

/** Extra `run` flags for a local agent: none normally; `--engine-user <self>` when `nobody` cannot reach `root`. */
export function localEngineUserArgs(root: string): string[] {
  return engineUserReaches(root) ? [] : ["--engine-user", os.userInfo().username];
}
