// A job's watcher cap is looked at before the coordinator is asked to register a stream: a reconnect refused at the
// cap (429 limit_exceeded, Retry-After) leaves nothing in the coordinator — no watcher recorded for its token, its
// ticket unspent — where each one recorded the watcher, spent the ticket and unspent it again before the feed said
// no. The look takes no slot: a slot freed later is taken by the next try, with the same ticket, and the feed still
// refuses at open.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ADMIN_OPENER } from "../../src/durable-objects/feed/revocation.ts";
import { MAX_WATCHERS, WATCHER_CAP_STATUS } from "../../src/durable-objects/job-feed.ts";
import { feedName } from "../../src/shared/coordinator-rpc.ts";
import { sha256Hex } from "../../src/worker/auth.ts";
import { WATCHER_CAP_RETRY_AFTER_S } from "../../src/worker/routes/events.ts";
import { api, mintToken, P, submit } from "./client.ts";
import { openSocket } from "./sockets";

/** Watcher rows the coordinator of `product` keeps for the token of `hash`. */
async function watcherRows(product: string, hash: string): Promise<number> {
  return runInDurableObject(env.COORDINATOR.getByName(product), (_i, state) => {
    const [row] = state.storage.sql
      .exec<{ n: number }>("SELECT COUNT(*) AS n FROM feed_watchers WHERE token_hash = ?", hash)
      .toArray();
    return row!.n;
  });
}

describe("the watcher cap, looked at first", () => {
  it("refuses a stream at the cap without recording a watcher or spending its ticket", async () => {
    const product = "cap-first";
    const job = await submit(product, { title: "popular" });
    const path = `${P(product)}/jobs/${job.id}/events`;
    const viewer = await mintToken(product, "viewer");
    const hash = await sha256Hex(viewer.token);
    // The cap filled on the feed object itself, as the Worker opens streams once registered (admin: no watcher rows).
    const feed = env.JOB_FEED.getByName(feedName(product, job.id));
    const held: WebSocket[] = [];
    for (let i = 0; i < MAX_WATCHERS; i++) {
      const res = await feed.fetch(
        new Request(`https://feed/ws?after=0&by=${ADMIN_OPENER}`, { headers: { upgrade: "websocket" } }),
      );
      expect(res.status).toBe(101);
      res.webSocket!.accept();
      held.push(res.webSocket!);
    }

    const sse = await api<{ code: string; retryAfterSeconds: number }>("GET", `${path}/stream`, {
      token: viewer.token,
    });
    expect([sse.status, sse.body.code, sse.body.retryAfterSeconds]).toEqual([
      WATCHER_CAP_STATUS,
      "limit_exceeded",
      WATCHER_CAP_RETRY_AFTER_S,
    ]);
    expect(sse.headers.get("retry-after")).toBe(String(WATCHER_CAP_RETRY_AFTER_S));
    expect(await watcherRows(product, hash)).toBe(0);

    const ticket = await api<{ ticket: string }>("POST", `${path}/ticket`, { token: viewer.token });
    expect(ticket.status).toBe(201);
    const withTicket = `${path}/ws?ticket=${encodeURIComponent(ticket.body.ticket)}`;
    const refused = await api<{ code: string }>("GET", withTicket, { headers: { upgrade: "websocket" } });
    expect([refused.status, refused.body.code]).toEqual([WATCHER_CAP_STATUS, "limit_exceeded"]);
    expect(await watcherRows(product, hash)).toBe(0);

    // A slot freed: the next try takes it, with the same ticket.
    held.pop()!.close(1000, "done");
    for (let deadline = Date.now() + 5000; (await feed.watchers()).sockets.length >= MAX_WATCHERS; ) {
      if (Date.now() > deadline) throw new Error("closed socket still counted");
      await new Promise((r) => setTimeout(r, 10));
    }
    const socket = await openSocket(withTicket, {});
    await socket.next("ready");
    expect(await watcherRows(product, hash)).toBe(1);
    socket.close();
    for (const ws of held) ws.close(1000, "done");
  }, 120_000);
});
