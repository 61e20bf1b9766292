// A stream the job's feed itself refuses does not use its ticket up: refused with 416 `after_beyond_feed` (a resume
// point past the feed's log), the ticket still opens one stream afterwards — on either feed, WebSocket or SSE — and
// then no more, as the refusals the Worker tells before spending a ticket leave it (ticket-single-use.test.ts).
import { describe, expect, it } from "vitest";
import { api, mintToken, P, submit } from "./client.ts";
import { openWithTicket } from "./sockets.ts";

async function ticketFor(product: string, jobId: string, token: string): Promise<string> {
  const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, { token });
  expect(t.status).toBe(201);
  return encodeURIComponent(t.body.ticket);
}

describe("a ticket whose stream the feed refused", () => {
  it.each([
    ["WebSocket", "ws", 101],
    ["SSE", "stream", 200],
  ] as const)("is still unused after a 416 from the feed: it opens one %s stream, then no more", async (_, kind, ok) => {
    const product = `ticket-feed-refused-${kind}`;
    const job = await submit(product, { title: "watched" });
    const viewer = await mintToken(product, "viewer", "browser");
    const feed = `${P(product)}/jobs/${job.id}/events`;
    const ticket = await ticketFor(product, job.id, viewer.token);

    expect(await openWithTicket(feed, kind, ticket, 1_000_000)).toEqual({ status: 416, code: "after_beyond_feed" });
    expect(await openWithTicket(feed, kind, ticket, 0)).toEqual({ status: ok });
    expect(await openWithTicket(feed, kind, ticket, 0)).toMatchObject({ status: 401, code: "unauthorized" });
  });
});
