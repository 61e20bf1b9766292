// A stream the job's feed itself refuses does not use its ticket up: refused with 416 `after_beyond_feed` (a resume
// point past the feed's log), the ticket still opens one stream afterwards — on either feed, WebSocket or SSE — and
// then no more, as the refusals the Worker tells before spending a ticket leave it (ticket-single-use.test.ts).
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, mintToken, P, submit } from "./client.ts";

const fetcher = () => (exports as unknown as { default: Fetcher }).default;

async function ticketFor(product: string, jobId: string, token: string): Promise<string> {
  const t = await api<{ ticket: string }>("POST", `${P(product)}/jobs/${jobId}/events/ticket`, { token });
  expect(t.status).toBe(201);
  return encodeURIComponent(t.body.ticket);
}

/** Opens `kind` with `ticket` after `after`: the refusal's status and code, or 101/200 for a stream (then ended). */
async function open(feed: string, kind: "ws" | "stream", ticket: string, after: number) {
  const headers: Record<string, string> = kind === "ws" ? { upgrade: "websocket" } : {};
  const res = await fetcher().fetch(`http://gf.test${feed}/${kind}?after=${after}&ticket=${ticket}`, { headers });
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, "test done");
    return { status: res.status };
  }
  if (res.status === 200) {
    await res.body?.cancel();
    return { status: 200 };
  }
  const body = (await res.json()) as { code?: string };
  return { status: res.status, code: body.code };
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

    expect(await open(feed, kind, ticket, 1_000_000)).toEqual({ status: 416, code: "after_beyond_feed" });
    expect(await open(feed, kind, ticket, 0)).toEqual({ status: ok });
    expect(await open(feed, kind, ticket, 0)).toMatchObject({ status: 401, code: "unauthorized" });
  });
});
