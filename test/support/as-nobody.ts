/**
 * @module test/support/as-nobody
 * A temp dir for a test whose agent side must not be root (root is not stopped by permissions): when the tests run
 * as root, the dir belongs to `nobody` and `asNobody` (spawn options: uid and gid) runs a child process as `nobody`;
 * otherwise both are as they are. The dir is removed after the file's tests.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

/** `{ root, asNobody }`: the dir (named `prefix…`) and the spawn options that run a child as its owner. */
export function nobodyDir(prefix: string): { root: string; asNobody: { uid?: number; gid?: number } } {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  if (process.getuid?.() !== 0) return { root, asNobody: {} };
  const uid = Number(execFileSync("id", ["-u", "nobody"], { encoding: "utf8" }));
  const gid = Number(execFileSync("id", ["-g", "nobody"], { encoding: "utf8" }));
  chownSync(root, uid, gid);
  return { root, asNobody: { uid, gid } };
}
