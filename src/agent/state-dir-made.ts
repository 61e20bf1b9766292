/**
 * @module agent/state-dir-made
 * The directories `enroll` made for a state dir, taken away again when it ends having sent nothing: a refusal before
 * the code went (`engine_user_access`), or a coordinator never reached (connection refused, no such host). Each left
 * an empty 0700 state dir behind, which a later `enroll --state-dir` elsewhere, or a person listing the directory,
 * took for an agent's.
 */
import { existsSync, rmdirSync } from "node:fs";
import path from "node:path";

/** The outermost of `dir` and its parents that does not exist yet (what a recursive mkdir of `dir` makes), or undefined. */
export function notMadeYet(dir: string): string | undefined {
  let missing: string | undefined;
  for (let d = path.resolve(dir); !existsSync(d); d = path.dirname(d)) {
    missing = d;
    if (path.dirname(d) === d) break;
  }
  return missing;
}

/**
 * `dir` and its parents up to `made` (notMadeYet's answer), each removed while empty: what holds a file (a config, a
 * nonce kept to resume) stays, and so does everything above `made`. Never throws.
 */
export function removeMadeIfEmpty(dir: string, made: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty, or gone already
    }
    if (d === made || path.dirname(d) === d) return;
  }
}
