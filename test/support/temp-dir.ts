/**
 * @module test/support/temp-dir
 * `testTempDir(prefix)`: a fresh directory under the OS temp dir, removed with everything in it when the current test
 * finishes, passed or failed (vitest `onTestFinished`) — /tmp is shared, and tests that only made theirs left
 * thousands behind. Call it inside a test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { onTestFinished } from "vitest";

export function testTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
