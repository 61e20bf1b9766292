// Engine output → protocol log lines → progress.logs batches (≤ 200 lines, lines and frames bounded in UTF-8 bytes
// and never cut inside a character, every 250 ms), and a flooding engine's feed held to 4 frames/s after a burst, the
// lines over it counted in a note.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  chopLine,
  FEED_BURST_FRAMES,
  LineSplitter,
  LogBatcher,
  type LogLine,
  MAX_PENDING_CHARS,
} from "../../src/agent/log-batcher.ts";
import { utf8Bytes } from "../../src/core/bytes.ts";
import { MAX_FRAME_BYTES, MAX_LOG_LINE_BYTES, MAX_LOG_LINES, parseFactoryFrame } from "../../src/shared/protocol.ts";

const wellFormedText = (s: string) => !/\p{Surrogate}/u.test(s);

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
    expect(s.push("x".repeat(MAX_PENDING_CHARS - 1))).toEqual([]); // an engine's long report line is held whole
    const out = s.push("x");
    expect(out).toHaveLength(1);
    expect(s.end()).toEqual([]);
  });
});

describe("chopLine", () => {
  it("leaves short lines alone and cuts long ones to the protocol limit", () => {
    expect(chopLine("abc")).toEqual(["abc"]);
    const parts = chopLine("y".repeat(MAX_LOG_LINE_BYTES * 2 + 1));
    expect(parts.map((p) => p.length)).toEqual([MAX_LOG_LINE_BYTES, MAX_LOG_LINE_BYTES, 1]);
  });

  it("never splits a surrogate pair: an emoji-heavy line is cut between characters, each piece within the bytes", () => {
    const line = `x${"\u{1f600}".repeat(MAX_LOG_LINE_BYTES)}`; // odd offset: a cut every N units would halve an emoji
    const parts = chopLine(line);
    expect(parts.join("")).toBe(line);
    for (const p of parts) {
      expect(wellFormedText(p)).toBe(true);
      expect(utf8Bytes(p)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
    }
    // Every piece the agent makes is one the protocol takes.
    const frame = {
      type: "progress",
      jobId: "job_x",
      leaseEpoch: 1,
      logs: [{ stream: "stdout", text: parts[0], at: 1 }],
    };
    expect(parseFactoryFrame(JSON.stringify(frame)).ok).toBe(true);
  });

  it("counts the limit in UTF-8 bytes: a line of 3-byte characters is cut at a third of the units", () => {
    const parts = chopLine("漢".repeat(MAX_LOG_LINE_BYTES));
    expect(parts[0]?.length).toBe(Math.floor(MAX_LOG_LINE_BYTES / 3));
    expect(parts.every((p) => utf8Bytes(p) <= MAX_LOG_LINE_BYTES)).toBe(true);
  });
});

describe("the factory frame size limit", () => {
  const progress = (text: string) =>
    JSON.stringify({ type: "progress", jobId: "job_x", leaseEpoch: 1, progress: { note: text } });
  it("is counted in UTF-8 bytes: a frame of fewer UTF-16 units than the limit but more bytes is refused unread", () => {
    const raw = progress("漢".repeat(Math.ceil(MAX_FRAME_BYTES / 3) + 10));
    expect(raw.length).toBeLessThan(MAX_FRAME_BYTES);
    const r = parseFactoryFrame(raw);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.code).toBe("payload_too_large");
  });
  it("echoes a refused frame's request id whole, never cut inside a character (64 emoji is a valid id)", () => {
    const id = "\u{1f600}".repeat(64);
    const r = parseFactoryFrame(JSON.stringify({ type: "renew", id, jobId: "job_x", leaseEpoch: -1 }));
    expect(r.ok ? "" : r.id).toBe(id);
  });
  it("takes a frame of exactly the limit in bytes to the schema, and refuses one byte more", () => {
    const at = (bytes: number) => {
      const base = progress("");
      return progress(
        "é".repeat(Math.floor((bytes - utf8Bytes(base)) / 2)) + "a".repeat((bytes - utf8Bytes(base)) % 2),
      );
    };
    expect(utf8Bytes(at(MAX_FRAME_BYTES))).toBe(MAX_FRAME_BYTES);
    const atLimit = parseFactoryFrame(at(MAX_FRAME_BYTES));
    expect(atLimit.ok ? "" : atLimit.code).not.toBe("payload_too_large");
    const over = parseFactoryFrame(at(MAX_FRAME_BYTES + 1));
    expect(over.ok ? "" : over.code).toBe("payload_too_large");
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
    for (let i = 0; i < 200; i++) b.add("stdout", "\u0001".repeat(MAX_LOG_LINE_BYTES));
    b.flush();
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      const frame = JSON.stringify({ type: "progress", id: "r1", jobId: "job_x", leaseEpoch: 1, logs: batch });
      expect(utf8Bytes(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    }
    expect(batches.flat()).toHaveLength(200);
  });

  it("keeps every frame under the limit in bytes with lines of 3-byte characters", () => {
    for (let i = 0; i < 200; i++) b.add("stdout", "漢".repeat(MAX_LOG_LINE_BYTES / 3));
    b.flush();
    for (const batch of batches) {
      const frame = JSON.stringify({ type: "progress", id: "r1", jobId: "job_x", leaseEpoch: 1, logs: batch });
      expect(utf8Bytes(frame)).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    }
    expect(batches.flat()).toHaveLength(200);
  });

  it("chops an over-long line into several protocol-sized lines", () => {
    b.add("stdout", "z".repeat(MAX_LOG_LINE_BYTES + 10));
    b.flush();
    expect(batches[0]?.map((l) => l.text.length)).toEqual([MAX_LOG_LINE_BYTES, 10]);
  });

  it("flush() sends pending lines immediately; close() refuses later lines", () => {
    b.add("agent", "before");
    b.close();
    b.add("agent", "after");
    vi.advanceTimersByTime(1000);
    expect(batches.flat().map((l) => l.text)).toEqual(["before"]);
  });

  it("says one line skipped as one line, not '1 lines (… bytes)'", () => {
    // Find the smallest flood that skips anything: its note counts a single line.
    for (let extra = 1; extra <= 400; extra++) {
      batches = [];
      b = new LogBatcher({ flush: (lines) => batches.push(lines), now: () => 42 });
      for (let i = 0; i < 200 * FEED_BURST_FRAMES + extra; i++) b.add("stdout", "y");
      vi.advanceTimersByTime(1000);
      const note = batches.flat().find((l) => l.stream === "agent" && l.text.includes("not streamed"));
      if (!note) continue;
      expect(note.text).toMatch(/^1 line \(\d+ bytes?\) not streamed/);
      return;
    }
    throw new Error("no flood up to 400 lines over the burst skipped a line");
  });

  it("carries a flooding engine at 4 frames/s after a burst: the lines over it are counted in a note, not sent", () => {
    // `yes` in a job: one 200-line frame per few µs, each a coordinator transaction and stored in the job's feed —
    // the product's coordinator busy with one job's output, and the agent's socket buffer growing past any bound.
    const flood = 200 * (FEED_BURST_FRAMES + 100);
    for (let i = 0; i < flood; i++) b.add("stdout", `y ${i}`);
    expect(batches).toHaveLength(FEED_BURST_FRAMES);
    b.add("agent", "budget exceeded: stopping the engine"); // the agent's own line is not the flood: it goes
    vi.advanceTimersByTime(1000); // a second later: 4 more frames at most, the first of them says what was skipped
    expect(batches.length).toBeLessThanOrEqual(FEED_BURST_FRAMES + 4);
    const lines = batches.flat();
    const note = lines.find((l) => l.stream === "agent" && l.text.includes("not streamed"));
    const skipped = Number(/^(\d+) lines/.exec(note?.text ?? "")?.[1]);
    expect(note?.text).toMatch(/not streamed.*log\.txt/);
    expect(lines.filter((l) => l.stream === "stdout").length + skipped).toBe(flood);
    // The batch that was full when the burst ran out went at the agent's line, then the note for the lines skipped
    // before it, then the agent's line: in the order they happened.
    expect(lines.at(-3)?.text).toBe(`y ${200 * (FEED_BURST_FRAMES + 1) - 1}`);
    expect(lines.at(-2)).toBe(note);
    expect(lines.at(-1)).toMatchObject({ stream: "agent", text: "budget exceeded: stopping the engine" });
    for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(MAX_LOG_LINES);
    // The flood over, the feed streams again as before.
    b.add("stdout", "after");
    vi.advanceTimersByTime(250);
    expect(batches.flat().at(-1)?.text).toBe("after");
  });

  it("never sends an empty batch", () => {
    b.flush();
    vi.advanceTimersByTime(1000);
    expect(batches).toEqual([]);
  });
});
