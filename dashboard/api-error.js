// api-error.js — a failed API call (ApiError) and what the pages make of one: whether asking again may work
// (`transient`), whether a write's outcome is unknown, and the line that says it (`describeError`, `writeFailure`).
// api.js makes them and re-exports this module: pages import both from there.

import { AnswerShapeError } from "./answer-shape.js";
import { advice, problemCode, problemText } from "./problem-text.js";

/**
 * A failed API call: `title`, `detail` and `code` come from the problem+json body (`body`, its other members too:
 * a release's `factoryStatus`), `retryAfterS` from a `Retry-After` header (0: none), `method` is the request's.
 * `foreign`: the answer is not the coordinator's problem (foreign-answer.js `isCoordinatorProblem`), a body or none —
 * the coordinator writes one for every refusal — and its `code` is then "", whatever the body named: no page acts on
 * another server's code, or status, as the coordinator's.
 */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} title
   * @param {string} detail
   * @param {string} code
   * @param {{ body?: Record<string, unknown> | null, retryAfterS?: number, method?: string, foreign?: boolean }} [more]
   */
  constructor(status, title, detail, code, more = {}) {
    super(detail || title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
    this.body = more.body ?? null;
    this.retryAfterS = more.retryAfterS ?? 0;
    this.method = more.method ?? "GET";
    this.foreign = more.foreign ?? false;
  }

  /**
   * One readable line: "Not allowed — this needs an operator token (forbidden)". The server's words are cut to
   * MAX_PROBLEM_TEXT graphemes and isolated when they hold a bidi control (problem-text.js).
   */
  get readable() {
    const detail = this.detail && this.detail !== this.title ? ` — ${problemText(this.detail)}` : "";
    const code = problemCode(this.code);
    return `${problemText(this.title)}${detail}${code ? ` (${code})` : ""}`;
  }

  /** What to do about it, in words, or "" (problem-text.js `advice`). */
  get advice() {
    return advice(this);
  }
}

/**
 * Whether a failed read may work if asked again: no answer, a 5xx, a 408 or a 429, or a 2xx the page could not read
 * (answer-shape.js AnswerShapeError: a body cut short, a proxy's page, a deploy half done). The coordinator's 4xx says
 * the request itself is refused (a job that does not exist, a role too low): asking again every tick would not change
 * it. Another server's (`foreign`: a gateway's lapsed session, a proxy's 404 mid-deploy) says nothing of the request:
 * a page that showed it was not read again until an event came, and a job's page said "Job not available" for good.
 * @param {unknown} err
 */
export function transient(err) {
  if (!(err instanceof ApiError)) return true;
  return err.foreign || err.status === 0 || err.status >= 500 || err.status === 408 || err.status === 429;
}

/**
 * Whether a write's refusal leaves its outcome unknown: no answer came (the connection failed after the request may
 * have reached the coordinator), the answer is a 5xx (a proxy's, or the coordinator's own failure part way), or a 2xx
 * the page could not read. A page then reads again what the write would change, so what happened is on screen.
 * @param {unknown} err
 */
export const outcomeUnknown = (err) => !(err instanceof ApiError) || err.status === 0 || err.status >= 500;

/**
 * A failure as one line: the problem's words, then what to do about it where it is said (problem-text.js `advice`).
 * @param {unknown} err @param {import("./problem-text.js").AdviceContext} [context] "signin" on the sign-in form
 */
export function describeError(err, context = "") {
  if (err instanceof ApiError) {
    const what = advice(err, context);
    return what ? `${err.readable}. ${what}` : err.readable;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * What a failed write says in its status line: `refused` ("Not added") and why, or — when a 2xx came back that the
 * page cannot read (not JSON, or not the shape it reads) — that it was sent and its outcome is unknown: "Not added:
 * The coordinator's answer … had no `id` text" said a refusal of what the coordinator had likely done.
 * @param {unknown} err @param {string} refused e.g. "Not added", "cancel refused"
 */
export function writeFailure(err, refused) {
  return err instanceof AnswerShapeError
    ? `Sent, outcome unknown: ${err.message}`
    : `${refused}: ${describeError(err)}`;
}
