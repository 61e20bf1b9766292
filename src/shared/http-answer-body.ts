/**
 * @module shared/http-answer-body
 * Reading an HTTP answer's body no further than a bound in bytes, for the REST client (shared/http-client-base): a
 * server that answers a body of a gigabyte, or one that never ends, must not grow the CLI's or the agent's memory
 * until the process dies. Past the bound the body is cancelled, which closes the connection.
 */

/**
 * 128 MiB: the most a 2xx JSON answer may be. A coordinator builds each answer in one Worker isolate, whose memory is
 * 128 MB in all, so none it sends comes near; anything longer is another service's, or a hostile one's.
 */
export const MAX_ANSWER_BYTES = 128 * 1024 * 1024;

/** What `readAtMost` read: the first `max` bytes at most, and whether the body held more than that. */
export interface BoundedBody {
  bytes: Uint8Array;
  /** The body went on past `max` bytes (it was cancelled there, so how long it was is unknown). */
  over: boolean;
}

/**
 * `body` read until it ends or passes `max` bytes, then cancelled (nothing more is received). A read that fails (the
 * connection reset, the caller's signal aborted) throws — unless `partial`, when what came before it is the answer.
 */
export async function readAtMost(
  body: ReadableStream<Uint8Array> | null,
  max: number,
  partial = false,
): Promise<BoundedBody> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const reader = body?.getReader();
  try {
    while (reader && bytes <= max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } catch (err) {
    if (!partial) throw err;
  } finally {
    reader?.cancel().catch(() => {});
  }
  const out = new Uint8Array(Math.min(bytes, max));
  let at = 0;
  for (const c of chunks) {
    if (at >= out.length) break;
    const part = c.subarray(0, out.length - at);
    out.set(part, at);
    at += part.byteLength;
  }
  return { bytes: out, over: bytes > max };
}
