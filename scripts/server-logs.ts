/**
 * @module scripts/server-logs
 * What `npm test` prints of the e2e layer's local servers when that layer fails: the tail of each server's own output
 * (test/e2e/harness writes one file per server into E2E_SERVER_LOGS), which says why a runtime died, if one did.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { counted } from "../src/core/counted.ts";

/** 80: the lines of each server's output shown, its last ones. */
const TAIL_LINES = 80;

/**
 * Prints (through `print`, one call a block) the last TAIL_LINES lines of every file in `dir` that has anything in it,
 * each under a heading naming the file and how many lines it held ("last 1 of 1 line"). A missing `dir` prints nothing.
 */
export function printServerLogs(dir: string, print: (text: string) => void = console.log): void {
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of files) {
    const lines = readFileSync(path.join(dir, f), "utf8").trimEnd().split("\n");
    if (lines.length === 1 && lines[0] === "") continue;
    const shown = Math.min(lines.length, TAIL_LINES);
    print(`\n── local server output ${f} (last ${shown} of ${counted(lines.length, "line")}) ──`);
    print(lines.slice(-TAIL_LINES).join("\n"));
  }
}
