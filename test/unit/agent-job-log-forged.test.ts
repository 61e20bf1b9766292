// The job log file (uploaded as log.txt) marks stderr and the agent's own lines (`[stderr] `, `[agent] `) and writes
// stdout as it came: an engine printing `[agent] engine exited (code 0) after 1.0s` — or `budget exceeded`, or behind
// what is not seen (an ESC, a colour escape, a zero-width space) — wrote a line no reader could tell from the agent's. Such a stdout line is now marked `[stdout] `; every other stdout line is written as it came.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { JobLog } from "../../src/agent/job-log.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-agent-joblog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the job log file, written with hostile engine output", () => {
  it("marks a stdout line that would read as the agent's or stderr's, and only such a line", async () => {
    const log = new JobLog(path.join(dir, "job.log"), () => {});
    const forged = [
      "[agent] engine exited (code 0) after 1.0s",
      "[agent]\tbudget exceeded (usd): stopping the engine",
      "[stderr] warning: nothing",
      "[stdout] as if marked",
      "\u001b[0m[agent] behind a colour escape",
      "\u001b[agent] behind an ESC",
      "\u200b[agent] behind a zero-width space",
      "  [agent] behind blanks",
    ];
    const plain = ["ok", "[INFO] build started", "[ 1/3 ] compiling", "agent] not a mark", ""];
    for (const t of [...forged, ...plain]) log.write("stdout", t);
    log.write("agent", "engine exited (code 0) after 2.0s");
    log.write("stderr", "[agent] from stderr");
    await log.close();
    const lines = readFileSync(log.file, "utf8").split("\n").slice(0, -1);
    expect(lines).toEqual([
      ...forged.map((t) => `[stdout] ${t}`),
      ...plain,
      "[agent] engine exited (code 0) after 2.0s",
      "[stderr] [agent] from stderr",
    ]);
    // What reads as the agent's in the file is the agent's line alone.
    expect(lines.filter((l) => l.startsWith("[agent]"))).toEqual(["[agent] engine exited (code 0) after 2.0s"]);
  });
});
