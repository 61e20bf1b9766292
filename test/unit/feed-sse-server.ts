// What the feed-follower tests share: a real local HTTP server on 127.0.0.1 whose handler is told how many requests
// came before (the n-th reconnect), an event as an SSE frame, and a client for it. The caller closes the server
// after each test (`close`): a hook registered here would run for the first importing file only in a shared worker.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { GigafactoryClient, type JobEvent } from "../../src/shared/http-client.ts";

export type FeedHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** An event as the feed's SSE stream frames it (`id`, `event`, `data`). */
export const frame = (e: JobEvent): string => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

/** A client of product `p` with token `t` at `url`. */
export const client = (url: string): GigafactoryClient => new GigafactoryClient({ url, token: "t", product: "p" });

/** One server at a time: `serve` starts it (answers its base URL), `close` stops it (a no-op when none runs). */
export function feedServer(): { serve(handler: FeedHandler): Promise<string>; close(): Promise<void> } {
  let server: Server | undefined;
  return {
    async serve(handler) {
      let n = 0;
      const s = createServer((req, res) => handler(req, res, n++));
      server = s;
      await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    },
    close: () =>
      new Promise<void>((r) => {
        const s = server;
        server = undefined;
        if (s) s.close(() => r());
        else r();
      }),
  };
}
