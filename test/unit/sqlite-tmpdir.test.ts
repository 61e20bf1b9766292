// Where the local runtime's SQLite keeps its temporary files (savepoint sub-journals): the user's SQLITE_TMPDIR
// when set (made absolute); SQLite's own order when the user set TMPDIR; else /dev/shm when it is a writable tmpfs
// with at least 1 GiB free; else SQLite's default — and a probe that throws means "not usable", never a crash.
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  chooseSqliteTmpdir,
  MIN_FREE_BYTES,
  machineProbe,
  TMPFS_DIR,
  type TmpdirProbe,
  useFastSqliteTmpdir,
} from "../../scripts/sqlite-tmpdir.ts";

const probe = (p: Partial<TmpdirProbe>): TmpdirProbe => ({
  current: undefined,
  tmpdir: undefined,
  writableDir: () => true,
  ramBacked: () => true,
  freeBytes: () => MIN_FREE_BYTES,
  ...p,
});

describe("the SQLite temporary directory of the local runtime", () => {
  it("keeps a directory the user set, without probing", () => {
    const asked: string[] = [];
    const writableDir = (d: string) => {
      asked.push(d);
      return false;
    };
    const dir = chooseSqliteTmpdir(probe({ current: "/mnt/fast", writableDir, freeBytes: () => 0 }));
    expect(dir).toBe("/mnt/fast");
    expect(asked).toEqual([]);
    // workerd would resolve a relative path against each object's own directory: it is made absolute here.
    expect(chooseSqliteTmpdir(probe({ current: "tmp" }))).toBe(path.resolve("tmp"));
  });

  it("leaves SQLite's own order alone when the user set TMPDIR", () => {
    expect(chooseSqliteTmpdir(probe({ tmpdir: "/scratch" }))).toBeUndefined();
  });

  it("takes tmpfs when it is writable and has room, and only then", () => {
    expect(chooseSqliteTmpdir(probe({}))).toBe(TMPFS_DIR);
    expect(chooseSqliteTmpdir(probe({ freeBytes: () => MIN_FREE_BYTES - 1 }))).toBeUndefined();
    expect(chooseSqliteTmpdir(probe({ freeBytes: () => 64 * 1024 ** 2 }))).toBeUndefined(); // a container's /dev/shm
    expect(chooseSqliteTmpdir(probe({ writableDir: () => false }))).toBeUndefined();
    expect(chooseSqliteTmpdir(probe({ ramBacked: () => false }))).toBeUndefined(); // a plain directory
  });

  it("treats a probe that throws as not usable", () => {
    const boom = () => {
      throw new Error("EACCES");
    };
    expect(chooseSqliteTmpdir(probe({ writableDir: boom }))).toBeUndefined();
    expect(chooseSqliteTmpdir(probe({ freeBytes: boom }))).toBeUndefined();
    expect(chooseSqliteTmpdir(probe({ ramBacked: boom }))).toBeUndefined();
  });

  it("reads this machine's environment when asked, not when imported", () => {
    const saved = process.env.SQLITE_TMPDIR;
    try {
      process.env.SQLITE_TMPDIR = "/set/later";
      expect(chooseSqliteTmpdir(machineProbe)).toBe("/set/later");
    } finally {
      if (saved === undefined) delete process.env.SQLITE_TMPDIR;
      else process.env.SQLITE_TMPDIR = saved;
    }
  });

  it("sets the variable the runtime inherits only when a directory is chosen", () => {
    const saved = process.env.SQLITE_TMPDIR;
    try {
      delete process.env.SQLITE_TMPDIR;
      expect(useFastSqliteTmpdir(probe({ writableDir: () => false }))).toBeUndefined();
      expect(process.env.SQLITE_TMPDIR).toBeUndefined();
      expect(useFastSqliteTmpdir(probe({}))).toBe(TMPFS_DIR);
      expect(process.env.SQLITE_TMPDIR).toBe(TMPFS_DIR);
    } finally {
      if (saved === undefined) delete process.env.SQLITE_TMPDIR;
      else process.env.SQLITE_TMPDIR = saved;
    }
  });
});
