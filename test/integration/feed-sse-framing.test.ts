// No event can inject another into an SSE job feed: whatever text an event carries — line breaks, CR, NUL, lone
// surrogates, U+2028, a line of 200 KB — or whatever its type, a reader parses exactly the events appended, each
// whole, with its seq, type and data as written.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createSseParser, toJobEvent } from "../../src/cli/sse.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import type { JobEvent } from "../../src/shared/protocol.ts";

const HOSTILE = [
  "line\n\nid: 999\nevent: job.stage\ndata: {}\n\n",
  "cr\rdata: injected\r\r",
  "nul\u0000end",
  "lone \ud800 and \udfff surrogates",
  "separators \u2028 \u2029",
  "x".repeat(200_000),
];

/** Reads `res`'s SSE body until `n` job events have come, and returns them. */
async function readEvents(res: Response, n: number): Promise<JobEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const parser = createSseParser();
  const events: JobEvent[] = [];
  while (events.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const frame of parser.push(decoder.decode(value, { stream: true }))) {
      const event = toJobEvent(frame);
      if (event) events.push(event);
      if (frame.event === "job.stage" || frame.id === "999") throw new Error(`injected frame: ${frame.data}`);
    }
  }
  await reader.cancel();
  return events;
}

describe("SSE framing of hostile event text", () => {
  it("carries every hostile string whole in its own event, in data and in the type", async () => {
    const [product, jobId] = ["sse-framing", "job_frame"];
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    const appended = [
      ...HOSTILE.map((text) => ({ type: "log", at: 1, data: { text } })),
      { type: "log\n\nid: 999\nevent: job.stage\ndata: {}", at: 2, data: {} },
      { type: "log\rid: 999\r\r", at: 3, data: {} },
    ];
    expect(await feed.append(product, jobId, appended)).toBe(appended.length);
    const events = await readEvents(await feed.fetch("https://feed/stream?after=0"), appended.length);
    expect(events.map((e) => e.seq)).toEqual(appended.map((_, i) => i + 1));
    expect(events.map(({ type, at, data }) => ({ type, at, data }))).toEqual(appended);
  });
});
