// The SSE parser behind `gigafactory watch`: frames survive any chunking, and only job events come out. An event
// split at every byte parses in linear time (a growing buffer was re-scanned per chunk: quadratic), and a frame that
// never ends — one endless line, or data lines without the blank line — is refused at a bound counted in UTF-8
// bytes instead of held in memory without limit, while a keep-alive flood passes however long it runs. A CRLF split
// by an empty chunk stays one line ending.
import { describe, expect, it } from "vitest";
import { createSseParser, type SseFrame, toJobEvent } from "../../src/cli/sse.ts";

const STREAM =
  ": keep-alive\n\n" +
  'id: 1\nevent: job.submitted\ndata: {"seq":1,"type":"job.submitted","at":5,"data":{"stage":"queued"}}\n\n' +
  'id: 2\r\nevent: job.stage\r\ndata: {"seq":2,"type":"job.stage",\r\ndata: "at":6,"data":{"to":"shipped"}}\r\n\r\n';

function parseInChunks(text: string, size: number): SseFrame[] {
  const p = createSseParser();
  const out: SseFrame[] = [];
  for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
  return out;
}

describe("createSseParser", () => {
  it("yields the same frames however the stream is chunked, including CRLF split across chunks", () => {
    const whole = parseInChunks(STREAM, STREAM.length);
    expect(whole).toHaveLength(2);
    for (const size of [1, 2, 3, 7, 64]) expect(parseInChunks(STREAM, size)).toEqual(whole);
  });

  it("joins multi-line data with newlines, keeps id and event, and skips comments", () => {
    const [first, second] = parseInChunks(STREAM, 5);
    expect(first).toEqual({
      id: "1",
      event: "job.submitted",
      data: '{"seq":1,"type":"job.submitted","at":5,"data":{"stage":"queued"}}',
    });
    expect(second?.data).toBe('{"seq":2,"type":"job.stage",\n"at":6,"data":{"to":"shipped"}}');
  });

  it("defaults the event type to message and does not dispatch a frame without data", () => {
    expect(createSseParser().push("id: 9\n\ndata: x\n\n")).toEqual([{ event: "message", data: "x" }]);
  });

  it("keeps a CRLF split by an empty chunk one line ending, not two", () => {
    const p = createSseParser();
    const frames = ["data: x\r", "", "\ndata: y\r\n\r\n"].flatMap((chunk) => p.push(chunk));
    expect(frames).toEqual([{ event: "message", data: "x\ny" }]);
  });

  it("holds back an unfinished frame until its blank line arrives", () => {
    const p = createSseParser();
    expect(p.push("data: a\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ event: "message", data: "a" }]);
  });

  // Red before as the test's own time limit: the old parser copied the growing line per chunk (~5·10^11 bytes here).
  it("parses a 1 MiB event sent one character per chunk, in linear time", async () => {
    const big = "x".repeat(1024 * 1024);
    const p = createSseParser();
    const out: SseFrame[] = [];
    const text = `id: 7\r\ndata: ${big}\r\n\r\n`;
    for (let i = 0; i < text.length; i++) {
      out.push(...p.push(text[i]!));
      if (i % 4096 === 0) await new Promise((r) => setImmediate(r)); // lets the time limit end a parse that hangs
    }
    expect(out).toHaveLength(1);
    expect(out[0]!.id).toBe("7");
    expect(out[0]!.data.length).toBe(big.length);
  });

  it("refuses an endless line or an endless run of data lines past the bound, counted in UTF-8 bytes", () => {
    const line = createSseParser(10);
    expect(() => {
      for (let i = 0; i < 20; i++) line.push("d");
    }).toThrow(expect.objectContaining({ code: "bad_response" }));
    const lines = createSseParser(10);
    expect(() => {
      for (let i = 0; i < 20; i++) lines.push("data:\n");
    }).toThrow(expect.objectContaining({ code: "bad_response" }));
    // 4 characters but 12 bytes: over 10.
    expect(() => createSseParser(10).push("data: 漢漢漢漢")).toThrow(expect.objectContaining({ code: "bad_response" }));
    // 9 bytes and the newline that would join it: exactly 10, taken.
    expect(createSseParser(10).push("data: 漢漢漢\n\n")).toEqual([{ event: "message", data: "漢漢漢" }]);
  });

  it("passes a keep-alive flood of any length: each comment line ends and is dropped", () => {
    const p = createSseParser(64);
    for (let i = 0; i < 10_000; i++) expect(p.push(`: keep-alive ${i}\n`)).toEqual([]);
    expect(p.push("data: a\n\n")).toEqual([{ event: "message", data: "a" }]);
  });
});

describe("toJobEvent", () => {
  it("reads seq, type, at and data from the frame's JSON", () => {
    const [, second] = parseInChunks(STREAM, 4);
    expect(toJobEvent(second!)).toEqual({ seq: 2, type: "job.stage", at: 6, data: { to: "shipped" } });
  });

  it("ignores frames that are not job events", () => {
    expect(toJobEvent({ event: "message", data: "not json" })).toBeUndefined();
    expect(toJobEvent({ event: "message", data: '{"type":"x"}' })).toBeUndefined();
    expect(toJobEvent({ event: "message", data: '{"seq":-1,"type":"x"}' })).toBeUndefined();
  });
});
