/**
 * @module test/support/http-drain
 * For local HTTP servers that write a hostile answer as fast as a client takes it (a body that never ends, a stream
 * split byte by byte): wait for the socket to take more, or for the client to have gone.
 */
import type { ServerResponse } from "node:http";

/** Waits for `res` to take more, or to close; leaves no listener behind (the write loop waits thousands of times). */
export function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}
