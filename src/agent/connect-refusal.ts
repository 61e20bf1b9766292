/**
 * @module agent/connect-refusal
 * Reading the HTTP answer that refused the factory socket's upgrade (a 401, a proxy's 502, a redirect) no further
 * than MAX_REFUSAL_BYTES: its body only feeds the one-line reason agent/close-codes `refusalVerdict` gives, and a
 * server that answered with a body that never ends grew the agent's memory for as long as it wrote — a string past
 * V8's longest threw inside the socket's listener, which nothing catches, and the agent died with every engine.
 * And what that body says, for that reason: a problem's words (`problemDetail`), or another server's answer said as
 * what it was (`foreignDetail`).
 */
import type { IncomingMessage } from "node:http";
import { foreignAnswerText, foreignJsonCharset, statusWords } from "../shared/foreign-answer.ts";
import { namelessProblemText, problemWordsOf } from "../shared/problem-words.ts";

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

/**
 * `code: words` of a JSON refusal (in UTF-8, as JSON is): its detail, else another server's own words (a title,
 * `{"error": "…"}`, `{"message": "…"}`: shared/problem-words), the code only when of the API's shape and not the words
 * themselves; undefined for a body that is not JSON or names no problem.
 */
export function problemDetail(body: string, contentType?: string): string | undefined {
  const p = jsonOf(body, contentType);
  const words = problemWordsOf(p);
  if (words === undefined) return undefined;
  const code = (p as { code?: unknown }).code;
  return typeof code === "string" && API_CODE.test(code) && code !== words ? `${code}: ${words}` : words;
}

/** The body parsed, when it is JSON in UTF-8; undefined otherwise. */
export function jsonOf(body: string, contentType: string | undefined): unknown {
  if (foreignJsonCharset(contentType) !== undefined || body.trim() === "") return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined; // not JSON: a foreign page
  }
}

/** A problem's `code` as the API writes them (snake_case, at most 64 characters): another server's is not printed. */
const API_CODE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Any other refusal said as what it was (shared/foreign-answer), not echoed: a wrong --url's web server answered its
 * HTML page, and 200 characters of its markup were the reason. `HTTP <status> <reason>` alone for an empty body.
 */
export function foreignDetail(a: { status: number; statusText?: string; body: string; contentType?: string }): string {
  const { status, statusText, body, contentType } = a;
  if (body.trim() === "") return statusWords(status, statusText);
  const bytes = Buffer.byteLength(body);
  // JSON naming no problem (`{}`): said so, not quoted as a page's text would be.
  if (jsonOf(body, contentType) !== undefined) return namelessProblemText({ status, statusText, contentType, bytes });
  const seen = { status, statusText, contentType, text: body, bytes, more: bytes >= MAX_REFUSAL_BYTES };
  return `not a Gigafactory answer: ${foreignAnswerText(seen)}`;
}
