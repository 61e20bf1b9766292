// A mirror's files the agent reads to repair its HEAD (agent/mirror-head): `HEAD` and each `worktrees/<id>/gitdir`.
// Every engine that runs from the mirror can write them, and they were checked by path (lstat: a regular file) and
// then read by path: one swapped for a FIFO between the two had the agent wait on it for good (its whole event loop:
// every seat's lease lapsed), or, with a writer there, take the engine's words as the file's — a valid HEAD kept as
// a FIFO that failed every later git command, a worktree "on disk" that is not. Now each is opened once without
// following a link or waiting (agent/regular-file) and read from that descriptor only when it is a regular file. The
// swap is made deterministic: node:fs's lstatSync is wrapped to answer for the FIFO what it said before the swap (a
// regular file). A writer process stands ready at each FIFO, so the old code read it instead of hanging the run.
// Kept out of the shared workers (vitest.unit.config.ts isolates a file whose text names `vi.mock` or `vi.spyOn`).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { repairHead, worktreeOnDisk } from "../../src/agent/mirror-head.ts";

/** Set by a test: the path whose lstat answers as the regular file `as` (the state before an engine's swap). */
const lie: { path?: string; as?: string } = {};

vi.mock("node:fs", async (original) => {
  const real = await original<typeof import("node:fs")>();
  const lstatSync = ((p: fs.PathLike, opts?: fs.StatSyncOptions) =>
    real.lstatSync(p === lie.path && lie.as ? lie.as : p, opts)) as typeof real.lstatSync;
  return { ...real, lstatSync };
});

const root = fs.mkdtempSync(path.join(tmpdir(), "gf-mirror-head-fifo-"));
const writers: ChildProcess[] = [];
afterAll(() => {
  for (const w of writers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  fs.rmSync(root, { recursive: true, force: true });
});

/** `file` made a FIFO that lstat calls a regular file, with a writer standing ready to write `text` into it. */
function swappedFifo(file: string, text: string): void {
  execFileSync("mkfifo", [file]);
  const plain = path.join(root, `plain-${writers.length}`);
  fs.writeFileSync(plain, text);
  lie.path = file;
  lie.as = plain;
  writers.push(spawn("sh", ["-c", 'printf %s "$2" > "$1"', "sh", file, text], { stdio: "ignore" }));
}

describe("a mirror file an engine swapped for a FIFO after the agent's check", () => {
  it("HEAD: is not read, and is put back as a regular file", async () => {
    const mirror = path.join(root, "head.git");
    fs.mkdirSync(mirror);
    const head = path.join(mirror, "HEAD");
    swappedFifo(head, "ref: refs/heads/main\n");
    expect(await repairHead(mirror, undefined)).toBe(true);
    lie.path = undefined;
    expect(fs.lstatSync(head).isFile()).toBe(true);
    expect(fs.readFileSync(head, "utf8")).toBe("ref: refs/heads/main\n");
  });

  it("a worktree's gitdir: is not read, and names no worktree on disk", () => {
    const mirror = path.join(root, "gitdir.git");
    const admin = path.join(mirror, "worktrees", "job_1");
    fs.mkdirSync(admin, { recursive: true });
    swappedFifo(path.join(admin, "gitdir"), `${path.join(root, "somewhere", ".git")}\n`);
    fs.mkdirSync(path.join(root, "somewhere")); // what the engine's words name exists
    expect(worktreeOnDisk(mirror)).toBe(false);
    lie.path = undefined;
  });
});
