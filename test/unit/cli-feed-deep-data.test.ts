// `gigafactory watch ID` against a feed whose event data nests thousands of levels deep (JSON.parse reads it readily;
// no event the coordinator writes nests past 3): the event is skipped as not a job event, said on stderr, and the
// watch goes on to the job's end, exit 0 — under --json every stdout line still one JSON event. Printing it walked the
// data by recursion and crashed the watch as `✘ ERROR internal: Maximum call stack size exceeded / this is a CLI bug`.
// The look-ahead page watch reads over REST with such an event is bad_response. `withinLevels` measures without
// recursion.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished } from "vitest";
import { MAX_EVENT_DATA_LEVELS, toJobEvent, withinLevels } from "../../src/cli/sse.ts";
import { captureCli, connection } from "../support/cli-harness.ts";

const DEEP = 50_000;
const deepJson = `${"[".repeat(DEEP)}${"]".repeat(DEEP)}`;
const deepEvent = (seq: number) => `{"seq":${seq},"type":"note","at":0,"data":{"a":${deepJson}}}`;
const shipped = (seq: number) => JSON.stringify({ seq, type: "job.stage", at: 0, data: { to: "shipped" } });

/** A coordinator whose job is `stage`, whose look-ahead page is `page` and whose feed sends `frames` then ends. */
async function coordinator(stage: string, page: string, frames: string): Promise<string> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    const stream = url.pathname.endsWith("/events/stream");
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    if (stream) res.end(frames);
    else res.end(url.pathname.endsWith("/events") ? page : JSON.stringify({ id: "job_1", stage }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("event data nested past any event's", () => {
  it("is skipped on the live feed, said on stderr, and the watch goes on to the end", async () => {
    const url = await coordinator(
      "building",
      '{"events":[],"lastSeq":0}',
      `data: ${deepEvent(1)}\n\ndata: ${shipped(2)}\n\n`,
    );
    const r = await captureCli(["watch", "job_1", ...connection(url, "shop")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^#2 {2}\S+ {2}job\.stage {2}shipped\n$/);
    expect(r.stderr).toContain("a frame that is not a job event was skipped");
    const json = await captureCli(["watch", "job_1", "--json", ...connection(url, "shop")]);
    expect(json.code).toBe(0);
    expect(
      json.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).seq),
    ).toEqual([2]);
  });

  it("in the look-ahead page is bad_response", async () => {
    const url = await coordinator("review", `{"events":[${deepEvent(1)}],"lastSeq":1}`, "");
    const r = await captureCli(["watch", "job_1", ...connection(url, "shop")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^✘ ERROR bad_response: the coordinator's answer is not a page of events \(events\.0\.data: nested/,
    );
  });

  it("is measured without recursion, at the bound and one past it", () => {
    const nest = (levels: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = [v];
      return v;
    };
    expect(withinLevels(nest(MAX_EVENT_DATA_LEVELS))).toBe(true);
    expect(withinLevels(nest(MAX_EVENT_DATA_LEVELS + 1))).toBe(false);
    expect(withinLevels(JSON.parse(deepJson))).toBe(false);
    expect(toJobEvent({ event: "message", data: deepEvent(1) })).toBeUndefined();
    const log = { seq: 1, type: "log", at: 0, data: { lines: [{ stream: "stdout", text: "hi", at: 0 }] } };
    expect(toJobEvent({ event: "message", data: JSON.stringify(log) })).toEqual(log);
  });
});
