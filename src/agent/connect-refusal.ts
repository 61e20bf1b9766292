/**
 * @module agent/connect-refusal
 * Reading the HTTP answer that refused the factory socket's upgrade (a 401, a proxy's 502, a redirect) no further
 * than MAX_REFUSAL_BYTES: its body only feeds the one-line reason agent/close-codes `refusalVerdict` gives, and a
 * server that answered with a body that never ends grew the agent's memory for as long as it wrote — a string past
 * V8's longest threw inside the socket's listener, which nothing catches, and the agent died with every engine.
 */
import type { IncomingMessage } from "node:http";

/** 64 KiB: a problem document is a few hundred bytes, and the reason shows one line of its words (problem-words). */
export const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * Calls `done` once with what `res` carried (UTF-8, at most MAX_REFUSAL_BYTES of it): when it ends, when it passes
 * the bound (then `res` is destroyed: nothing more is received), or when its connection closes or fails first.
 */
export function readRefusal(res: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    done(Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BYTES).toString("utf8"));
  };
  res.on("data", (chunk: Buffer) => {
    if (finished) return;
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes < MAX_REFUSAL_BYTES) return;
    finish();
    res.destroy();
  });
  res.on("end", finish);
  // A reset mid-body (`error`, then `close`) is still a refusal: judged now, not when the welcome timer gives up.
  res.on("error", finish);
  res.on("close", finish);
}
