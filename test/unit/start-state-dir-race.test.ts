// Two starts on one new state directory: the first, refused (port_in_use) or stopped, removes the empty directory it
// made just after the second found it there; the second then makes it again and takes the lock, not `state_dir_unusable:
// ENOENT` — a false refusal of a directory nobody holds (scripts/start-preflight lockState).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";

const raced = vi.hoisted(() => ({ dirs: new Set<string>() }));
// The interleaving, made certain: the other start's release (lock file gone, then its empty directory) lands between
// this start's mkdir, which found the directory, and its lock's first write.
vi.mock("../../src/shared/pid-lock.ts", async (original) => {
  const real = await original<typeof import("../../src/shared/pid-lock.ts")>();
  const { rmdirSync } = await import("node:fs");
  const { dirname } = await import("node:path");
  return {
    ...real,
    takePidLock: (file: string, isOwner: (command: string) => boolean) => {
      const dir = dirname(file);
      if (raced.dirs.delete(dir)) rmdirSync(dir);
      return real.takePidLock(file, isOwner);
    },
  };
});

const { LOCK_FILE, lockState } = await import("../../scripts/start-preflight.ts");

const root = mkdtempSync(path.join(tmpdir(), "gf-state-race-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a state directory removed by another start's release while this one takes it", () => {
  it("is made again and taken; released, it is removed as one this start made", () => {
    const dir = path.join(root, "state");
    mkdirSync(dir); // made by the other start
    raced.dirs.add(dir);
    const release = lockState(dir);
    expect(raced.dirs.has(dir)).toBe(false); // the race happened
    expect(existsSync(path.join(dir, LOCK_FILE))).toBe(true);
    release();
    expect(existsSync(dir)).toBe(false);
  });
});
