// A count of one said in the singular where the agent, npm test and the coordinator print a count with its noun
// (core/counted): a job log cut by one byte ("first 1 byte dropped"), a local server's one-line output ("last 1 of
// 1 line"), a composite whose one child shipped ("1 of 1 child shipped"), a job that spent its one-token budget
// ("used 1 token of its job budget of 1") — and any other count still plural.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { printServerLogs } from "../../scripts/server-logs.ts";
import { JobLog } from "../../src/agent/job-log.ts";
import { childrenDoneMessage } from "../../src/core/composite.ts";
import { spentBudget } from "../../src/core/job-budget.ts";

const dir = mkdtempSync(path.join(tmpdir(), "gf-singular-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("a job log's truncation note", () => {
  /** A log of one-byte segments (each an empty line) that has rotated `cut` of them out of both it keeps. */
  const cutBy = async (cut: number) => {
    const log = new JobLog(path.join(dir, `log-${cut}`, "job.log"), () => undefined, { segmentBytes: 1 });
    for (let i = 0; i < cut + 2; i++) log.write("stdout", "");
    await log.close();
    return log.text().split("\n")[0];
  };

  it("says one byte dropped in the singular, more in the plural", async () => {
    expect(await cutBy(1)).toBe("[agent] log truncated: first 1 byte dropped");
    expect(await cutBy(2)).toBe("[agent] log truncated: first 2 bytes dropped");
  });
});

describe("npm test's local server output", () => {
  it("heads a one-line output 'last 1 of 1 line', a longer one in the plural", () => {
    const logs = path.join(dir, "server-logs");
    mkdirSync(logs);
    writeFileSync(path.join(logs, "one.log"), "runtime died\n");
    writeFileSync(path.join(logs, "two.log"), "a\nb\n");
    const printed: string[] = [];
    printServerLogs(logs, (text) => printed.push(text));
    expect(printed.filter((t) => t.includes("──")).sort()).toEqual([
      "\n── local server output one.log (last 1 of 1 line) ──",
      "\n── local server output two.log (last 2 of 2 lines) ──",
    ]);
  });
});

describe("a composite's children done", () => {
  it("says '1 of 1 child shipped', and 'children' for any other total", () => {
    const done = (shipped: number, total: number) => ({
      state: "done" as const,
      next: "testing" as const,
      shipped,
      total,
    });
    expect(childrenDoneMessage(done(1, 1))).toBe("1 of 1 child shipped");
    expect(childrenDoneMessage(done(1, 2))).toBe("1 of 2 children shipped");
  });
});

describe("a job budget spent", () => {
  it("says 'used 1 token' of a one-token budget, tokens for more", () => {
    expect(spentBudget({ tokens: 1 }, { costUsd: 0, tokens: 1 })?.message).toBe(
      "used 1 token of its job budget of 1: nothing left for another run",
    );
    expect(spentBudget({ tokens: 2 }, { costUsd: 0, tokens: 2 })?.message).toContain("used 2 tokens of");
  });
});
