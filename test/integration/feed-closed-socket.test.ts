// A frame that reaches a job feed after the feed closed that watcher's socket — a `ping` or a `more` the client sent
// before it saw the close (for a bad frame, a revocation, a purge), or another bad frame — is dropped: each one was
// an uncaught exception in the feed object ("Can't call WebSocket send() after close()"), as many as a client
// cared to send.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobFeed } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { ADMIN, P, submit } from "./client";
import { openSocket } from "./sockets";

describe("a frame on a watcher socket the feed has closed", () => {
  it("is dropped: no answer, no throw — ping, more, or another bad frame", async () => {
    const [product, jobId] = ["closed-socket", "job_closed"];
    const feed = env.JOB_FEED.getByName(feedName(product, jobId));
    await feed.append(product, jobId, [{ type: "log", at: 0, data: {} }]);
    await runInDurableObject(feed, async (instance: JobFeed, state) => {
      const pair = new WebSocketPair();
      state.acceptWebSocket(pair[1], ["watcher"]);
      pair[1].close(1003, "a bad frame"); // as the feed closes a hostile watcher
      for (const frame of ["ping", "more 0123456789abcdef", "garbage", new ArrayBuffer(8)]) {
        await expect(instance.webSocketMessage(pair[1], frame)).resolves.toBeUndefined();
      }
    });
  });

  it("leaves the feed serving its other watchers", async () => {
    const product = "closed-socket-live";
    const job = await submit(product, { title: "watched" });
    const path = `${P(product)}/jobs/${job.id}/events/ws?after=0`;
    const auth = { authorization: `Bearer ${ADMIN}` };
    const hostile = await openSocket(path, auth);
    await hostile.next("ready");
    hostile.send("garbage");
    hostile.send("ping");
    expect((await hostile.waitClosed()).code).toBe(1003);
    const bystander = await openSocket(path, auth);
    await bystander.next("ready");
    expect((await bystander.next<{ event: { seq: number } }>("event")).event.seq).toBe(1); // its replay
    await env.JOB_FEED.getByName(feedName(product, job.id)).append(product, job.id, [{ type: "log", at: 1, data: {} }]);
    expect((await bystander.next<{ event: { seq: number } }>("event")).event.seq).toBe(2);
    bystander.close();
  });
});
