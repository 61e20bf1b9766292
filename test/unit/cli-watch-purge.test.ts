// `gigafactory watch ID` (no --follow) of a job that had already ended, when retention purges its feed while the
// watch replays it — or between the watch's first look and its stream: the purge closes the stream and empties the
// log, and the stream reopened after it replays nothing and stays open on keep-alives. The watch waited for ever for
// the seq it had been told the feed reached; it now ends with exit 0, as a watch of an already-purged feed does,
// saying which events were purged. So does a watch of a job still running when it began, whose connection broke
// while the job ended and was purged (a laptop asleep for days): it waited for a terminal move that was gone.
// Served by a local SSE server whose streams stay open until the test ends them.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { captureCli, connection } from "../support/cli-harness.ts";

type Ev = { seq: number; type: string; at: number; data: Record<string, unknown> };
const AT = Date.UTC(2026, 0, 1, 12, 0, 0);
const EVENTS: Ev[] = Array.from({ length: 10 }, (_, i) => ({
  seq: i + 1,
  type: i === 9 ? "job.stage" : "progress",
  at: AT + i,
  data: i === 9 ? { from: "testing", to: "shipped" } : { note: `step ${i + 1}` },
}));
const frame = (e: Ev) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/**
 * A coordinator of a shipped job with EVENTS in its feed. `purgeWhen(streams)` is asked as each stream opens (the
 * count so far, this one included): "before" purges the feed before that stream replays anything; "mid" has it send
 * three events and purges once the next read of the events is answered (the watch's look on opening), ending the
 * stream as the feed does, with its reason; undefined leaves it be. A stream after the purge writes its opening line
 * and stays open — the feed's keep-alives hold it — until the test ends. "away": the job is still building, the
 * stream sends three events and breaks, and the job ends and is purged before the next one.
 */
async function purgingFeed(purgeWhen: (streams: number) => "before" | "mid" | "away" | undefined) {
  let purged = false;
  let streams = 0;
  const building = purgeWhen(1) === "away";
  let replaying: ServerResponse | undefined;
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "", "http://x");
    const after = Number(url.searchParams.get("after") ?? 0);
    const json = (doc: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(doc));
    };
    if (url.pathname.endsWith("/events/stream")) {
      const when = purgeWhen(++streams);
      if (when === "before") purged = true;
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`: job feed, resuming after ${after}\n\n`);
      if (purged) {
        open.add(res);
        res.on("close", () => open.delete(res));
        return;
      }
      const sent = EVENTS.filter((e) => e.seq > after).slice(0, when === "mid" || when === "away" ? 3 : undefined);
      if (when === "mid") {
        res.write(sent.map(frame).join(""));
        replaying = res;
      } else if (when === "away") {
        purged = true;
        res.end(sent.map(frame).join(""));
      } else res.end(sent.map(frame).join(""));
    } else if (url.pathname.endsWith("/events")) {
      const limit = Number(url.searchParams.get("limit") ?? 500);
      json({ events: purged ? [] : EVENTS.filter((e) => e.seq > after).slice(0, limit), lastSeq: 10 });
      if (replaying) {
        purged = true;
        replaying.end(": feed pruned by retention\n\n");
        replaying = undefined;
      }
    } else json({ id: "job_1", title: "T", stage: building && !purged ? "building" : "shipped", waitingReason: null });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stop = () =>
    new Promise<void>((r) => {
      for (const res of open) res.end();
      server.closeAllConnections();
      server.close(() => r());
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, streams: () => streams };
}

const seqsOf = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => l.split(" ")[0]);

describe("watch of an ended job whose feed retention purges meanwhile", () => {
  it("ends with 0 when the purge cuts its replay short, naming the events it will never get", async () => {
    const feed = await purgingFeed((n) => (n === 1 ? "mid" : undefined));
    const run = await captureCli(["watch", "job_1", ...connection(feed.url, "p")]);
    expect(run.code, run.stderr).toBe(0);
    expect(seqsOf(run.stdout)).toEqual(["#1", "#2", "#3"]);
    expect(run.stderr).toContain("the feed closed the stream: feed pruned by retention; reconnecting");
    expect(run.stderr).toContain("… events 4–10 were not received (retention purges an ended job's log)\n");
  });

  it("ends with 0 when the purge falls between its first look and its stream", async () => {
    const feed = await purgingFeed((n) => (n === 1 ? "before" : undefined));
    const run = await captureCli(["watch", "job_1", "--after", "8", ...connection(feed.url, "p")]);
    expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }).toEqual({
      code: 0,
      stdout: "",
      stderr: "… events 9–10 were not received (retention purges an ended job's log)\n",
    });
    expect(feed.streams()).toBe(1);
  });

  it("ends with 0 when a running job ended and was purged while its connection was down", async () => {
    const feed = await purgingFeed((n) => (n === 1 ? "away" : undefined));
    const run = await captureCli(["watch", "job_1", ...connection(feed.url, "p")]);
    expect(run.code, run.stderr).toBe(0);
    expect(seqsOf(run.stdout)).toEqual(["#1", "#2", "#3"]);
    expect(run.stderr).toContain("… events 4–10 were not received (retention purges an ended job's log)\n");
    expect(feed.streams()).toBe(2);
  });

  it("still reads a feed that was not purged to its end, with no note", async () => {
    const feed = await purgingFeed(() => undefined);
    const run = await captureCli(["watch", "job_1", ...connection(feed.url, "p")]);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    expect(seqsOf(run.stdout)).toHaveLength(10);
  });
});
