// `artifact … -o FILE` into a folder that does not exist: the fix's `mkdir -p DIR` is one shell word however the
// folder is spelled — a path with a space or a quote is single-quoted (a `'` as `'\''`), so the command pasted makes
// the folder -o needs; `mkdir -p /tmp/my dir` made two others. A plain path is printed as is.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { folderFault } from "../../src/cli/output-file.ts";
import { testTempDir } from "../support/temp-dir.ts";

/** The command between the fix's backquotes. */
const mkdirOf = (fix: string): string => /`(mkdir -p [^`]+)`/.exec(fix)?.[1] ?? "";

describe("-o into a missing folder: the mkdir the fix names", () => {
  it("quotes a folder with a space or a quote, and the command pasted makes that folder", () => {
    const root = testTempDir("gf-out-fix-");
    const folder = path.join(root, "it's my dir");
    const fault = folderFault(path.join(folder, "d.patch"));
    expect(fault?.code).toBe("file_unwritable");
    const command = mkdirOf(fault!.fix);
    expect(command).toBe(`mkdir -p '${folder.replaceAll("'", "'\\''")}'`);
    execFileSync("sh", ["-c", command]);
    expect(existsSync(folder)).toBe(true);
    expect(existsSync(path.join(root, "it's"))).toBe(false);
  });

  it("prints a plain folder as is", () => {
    const folder = path.join(testTempDir("gf-out-fix-"), "out", "logs");
    expect(mkdirOf(folderFault(path.join(folder, "run.log"))!.fix)).toBe(`mkdir -p ${folder}`);
  });
});
