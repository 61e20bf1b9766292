// The SSE parser behind `gigafactory watch`: frames survive any chunking, and only job events come out.
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/errors.ts";
import { createSseParser, MAX_FRAME_BYTES, type SseFrame, toJobEvent } from "../../src/cli/sse.ts";

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

  it("refuses a line or a frame past MAX_FRAME_BYTES (UTF-8) with bad_response, and takes a large event below it", () => {
    const chunk = "漢".repeat(16 * 1024); // 48 KiB of UTF-8, 16 Ki UTF-16 units
    const endless = createSseParser();
    endless.push("data: ");
    let thrown: unknown;
    try {
      for (let sent = 0; sent <= MAX_FRAME_BYTES; sent += 3 * chunk.length) endless.push(chunk);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as CliError).code).toBe("bad_response");
    // Many short data lines, never a blank one: the frame grows just as well.
    const lines = createSseParser();
    expect(() => {
      for (let sent = 0; sent <= MAX_FRAME_BYTES; sent += 3 * chunk.length) lines.push(`data: ${chunk}\n`);
    }).toThrow(CliError);
    const big = "x".repeat(MAX_FRAME_BYTES / 2);
    expect(createSseParser().push(`data: ${big}\n\n`)).toEqual([{ event: "message", data: big }]);
  });

  it("holds back an unfinished frame until its blank line arrives", () => {
    const p = createSseParser();
    expect(p.push("data: a\n")).toEqual([]);
    expect(p.push("\n")).toEqual([{ event: "message", data: "a" }]);
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
