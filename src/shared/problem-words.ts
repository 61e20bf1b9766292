/**
 * @module shared/problem-words
 * What a JSON refusal says of its problem, in its own words. The coordinator's carry a `detail` (core/errors); another
 * server's carry the shapes other servers use — a problem's `title` alone, `{"error": "…"}`, `{"message": "…"}`,
 * `{"error": {"message": "…"}}`, a bare JSON string — and the CLI printed up to 200 characters of the raw JSON as the
 * error's text (`✘ ERROR http_401: {"error":"invalid_token","error_description":…`), the agent's refused socket the same
 * as a foreign page. Shared by the REST client (shared/http-transport `apiErrorOf`) and the agent's refused upgrade
 * (agent/close-codes `problemDetail`). Pure.
 */
import { type AnswerSeen, foreignAnswerText, mediaTypeOf } from "./foreign-answer.ts";

/** How much of a field other than `detail` is shown, in characters: a sentence, not a document pasted into it. */
const WORDS_CHARS = 200;

/** The fields read, in order, after `detail`: words before names (OAuth's `error_description` before its `error`). */
const FIELDS = ["title", "message", "error_description", "error", "code"] as const;

/** `v` as one line of at most WORDS_CHARS characters (a cut ends in `…`); undefined when it holds no words. */
function line(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a server's line breaks and controls fold to a blank
  const one = v.replace(/[\s\x00-\x1f\x7f]+/g, " ").trim();
  if (!one) return undefined;
  return one.length > WORDS_CHARS ? `${one.slice(0, WORDS_CHARS).trimEnd()}…` : one;
}

/**
 * The words a parsed JSON error body gives: its `detail` as sent (the coordinator's), else the first of `title`,
 * `message`, `error_description`, `error` (a string, or an object's `message`), `code` that holds words, folded onto
 * one line and cut at 200 characters; a bare JSON string is its own words. Undefined when it names none (`{}`, `[]`,
 * `42`, `{"error": true}`).
 */
export function problemWordsOf(body: unknown): string | undefined {
  if (typeof body === "string") return line(body);
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const p = body as Record<string, unknown>;
  if (typeof p.detail === "string" && p.detail.trim() !== "") return p.detail;
  for (const field of FIELDS) {
    const v = p[field];
    const words =
      line(v) ?? (typeof v === "object" && v !== null ? line((v as { message?: unknown }).message) : undefined);
    if (words) return words;
  }
  return undefined;
}

/**
 * One line for a JSON error body that names no problem: `not a Gigafactory answer: HTTP 502 Bad Gateway, 2 bytes of
 * application/json, naming no problem (no detail, title, message or error)` — said as a foreign answer is
 * (shared/foreign-answer), not echoed.
 */
export function namelessProblemText(a: Omit<AnswerSeen, "text">): string {
  const seen = foreignAnswerText({ ...a, text: "" });
  return `not a Gigafactory answer: ${seen}, naming no problem (no detail, title, message or error)`;
}

/**
 * Whether a refusal is a problem as the coordinator writes every one (worker/problem): `application/problem+json`, an
 * object whose `type`, `title` and `detail` are strings and whose `code` is of the API's shape (snake_case, at most 64
 * characters). A proxy's or a gateway's JSON may name a snake_case code too (`{"code": "bad_gateway", "message": …}`),
 * and was taken for the coordinator's own failure ("the coordinator failed; … check its logs").
 */
export function isCoordinatorProblem(body: unknown, contentType: string | null | undefined): boolean {
  if (mediaTypeOf(contentType) !== "application/problem+json") return false;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return false;
  const p = body as Record<string, unknown>;
  const words = [p.type, p.title, p.detail].every((v) => typeof v === "string");
  return words && typeof p.code === "string" && /^[a-z][a-z0-9_]{0,63}$/.test(p.code);
}
