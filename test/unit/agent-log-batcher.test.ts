// Engine output → protocol log lines → progress.logs batches (≤ 200 lines, ≤ 4000 chars, every 250 ms).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { chopLine, LineSplitter, LogBatcher, type LogLine } from "../../src/agent/log-batcher.ts";
import { MAX_FRAME_BYTES, MAX_LOG_LINE_CHARS, MAX_LOG_LINES } from "../../src/shared/protocol.ts";

describe("LineSplitter", () => {
  it("joins lines split across chunks and keeps the unterminated tail for later", () => {
    const s = new LineSplitter();
    expect(s.push("hel")).toEqual([]);
    expect(s.push("lo\nwor")).toEqual(["hello"]);
    expect(s.push("ld\n\nnext")).toEqual(["world", ""]);
    expect(s.end()).toEqual(["next"]);
    expect(s.end()).toEqual([]);
  });

  it("treats \\r\\n as one break even when split between chunks, and a lone \\r as a break", () => {
    const s = new LineSplitter();
    expect(s.push("a\r")).toEqual([]);
    expect(s.push("\nb\rc\n")).toEqual(["a", "b", "c"]);
    expect(s.push("tail\r")).toEqual([]);
    expect(s.end()).toEqual(["tail"]);
  });

  it("does not hold an endless line in memory", () => {
    const s = new LineSplitter();
    const out = s.push("x".repeat(20_000));
    expect(out).toHaveLength(1);
    expect(s.end()).toEqual([]);
  });
});

describe("chopLine", () => {
  it("leaves short lines alone and cuts long ones to the protocol limit", () => {
    expect(chopLine("abc")).toEqual(["abc"]);
    const parts = chopLine("y".repeat(MAX_LOG_LINE_CHARS * 2 + 1));
    expect(parts.map((p) => p.length)).toEqual([MAX_LOG_LINE_CHARS, MAX_LOG_LINE_CHARS, 1]);
  });
});

describe("LogBatcher", () => {
  let batches: LogLine[][];
  let b: LogBatcher;
  beforeEach(() => {
    vi.useFakeTimers();
    batches = [];
    b = new LogBatcher({ flush: (lines) => batches.push(lines), now: () => 42 });
  });
  afterEach(() => vi.useRealTimers());

  it("sends nothing until 250 ms have passed, then everything pending in one frame", () => {
    b.add("stdout", "one");
    b.add("stderr", "two");
    vi.advanceTimersByTime(249);
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual([
      [
        { stream: "stdout", text: "one", at: 42 },
        { stream: "stderr", text: "two", at: 42 },
      ],
    ]);
  });

  it("flushes at once when 200 lines are pending, never sending more than 200 per frame", () => {
    for (let i = 0; i < 450; i++) b.add("stdout", `line ${i}`);
    expect(batches.map((x) => x.length)).toEqual([MAX_LOG_LINES, MAX_LOG_LINES]);
    vi.advanceTimersByTime(250);
    expect(batches.map((x) => x.length)).toEqual([200, 200, 50]);
    expect(batches.flat().map((l) => l.text)[449]).toBe("line 449");
  });

  it("keeps every frame under the coordinator's frame limit, even with 200 maximal, escape-heavy lines", () => {
    for (let i = 0; i < 200; i++) b.add("stdout", "\u0001".repeat(MAX_LOG_LINE_CHARS));
    b.flush();
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      const frame = JSON.stringify({ type: "progress", id: "r1", jobId: "job_x", leaseEpoch: 1, logs: batch });
      expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    }
    expect(batches.flat()).toHaveLength(200);
  });

  it("chops an over-long line into several protocol-sized lines", () => {
    b.add("stdout", "z".repeat(MAX_LOG_LINE_CHARS + 10));
    b.flush();
    expect(batches[0]?.map((l) => l.text.length)).toEqual([MAX_LOG_LINE_CHARS, 10]);
  });

  it("flush() sends pending lines immediately; close() refuses later lines", () => {
    b.add("agent", "before");
    b.close();
    b.add("agent", "after");
    vi.advanceTimersByTime(1000);
    expect(batches.flat().map((l) => l.text)).toEqual(["before"]);
  });

  it("never sends an empty batch", () => {
    b.flush();
    vi.advanceTimersByTime(1000);
    expect(batches).toEqual([]);
  });
});
