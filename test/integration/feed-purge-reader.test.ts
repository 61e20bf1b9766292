// What a reader of an ended job's SSE feed meets when retention purges it while its reader reads it, in workerd: the stream ends
// with the comment "feed pruned by retention"; the stream a reader then reopens after the last seq it saw replays
// nothing and stays open (only its opening line, then keep-alives: it will never deliver again), while the REST
// page after that seq is empty below the last seq the feed kept. `gigafactory watch` (cli/watch-verdicts
// `endedSince`) reads exactly that page on each stream to end instead of waiting for ever
// (test/unit/cli-watch-purge).

import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, api, P, submit } from "./client.ts";

const note = (n: number) => ({ type: "job.note", at: 1, data: { n } });

/** A stream's text read until `done(text)` holds or the stream ends; answers the text and whether it ended. */
async function readUntil(res: Response, done: (text: string) => boolean) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    if (done(text)) return { text, ended: false, reader };
    const chunk = await reader.read();
    if (chunk.done) return { text, ended: true, reader };
    text += decoder.decode(chunk.value, { stream: true });
  }
}

const stream = (path: string, after: number) =>
  (exports as unknown as { default: Fetcher }).default.fetch(`http://gf.test${path}/stream?after=${after}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });

describe("an ended job's feed purged under its SSE reader", () => {
  it("ends the stream saying why; the reopened stream stays open with nothing, and the page after is empty", async () => {
    const product = "purge-reader";
    const job = await submit(product, { title: "ends" });
    const path = `${P(product)}/jobs/${job.id}/events`;
    expect((await api("POST", `${P(product)}/jobs/${job.id}/actions/cancel`, { token: ADMIN, json: {} })).status).toBe(
      200,
    );
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    await feed.append(product, job.id, [note(1), note(2), note(3)]);

    const first = await readUntil(await stream(path, 0), (t) => t.includes("id: 1\n"));
    expect(first.ended).toBe(false);
    const { lastSeq: last } = await feed.list(0, 1); // the job's own events shipped as the stream opened, too
    await feed.purge(Number.MAX_SAFE_INTEGER);
    let tail = first.text;
    const decoder = new TextDecoder();
    for (let chunk = await first.reader.read(); !chunk.done; chunk = await first.reader.read()) {
      tail += decoder.decode(chunk.value, { stream: true });
    }
    expect(tail).toMatch(/: feed pruned by retention\n\n$/);

    const again = await stream(path, 1);
    expect(again.status).toBe(200);
    const reopened = await readUntil(again, (t) => t.includes("\n\n"));
    expect(reopened).toMatchObject({ ended: false, text: ": job feed, resuming after 1\n\n" });
    expect((await feed.watchers()).streams).toEqual([{ through: 1, live: true }]);
    const page = await api<{ events: unknown[]; lastSeq: number }>("GET", `${path}?after=1&limit=1`, { token: ADMIN });
    expect(page.body).toEqual({ events: [], lastSeq: last });
    await reopened.reader.cancel();
  });
});
