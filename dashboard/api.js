// api.js — the REST client: the API base (config.js), bearer-authenticated JSON calls with the signed-in session
// (session.js, re-exported: pages import both from here), and problem+json errors turned into ApiError.

import { AnswerShapeError, checkAnswer, notJson } from "./answer-shape.js";
import { JOB_PAGE } from "./answers.js";
import { API_BASE } from "./config.js";
import { foreignAnswerText, isCoordinatorProblem, readAnswer, refusalDetail, statusWords } from "./foreign-answer.js";
import { advice, problemCode, problemText, retryAfterSeconds } from "./problem-text.js";

export { clearSession, isAdminToken, loadSession, productFromToken, saveSession } from "./session.js";

/** The API origin: config.js's API_BASE when the dashboard is deployed apart from the Worker, else this page's. */
export function apiBase() {
  return (API_BASE || location.origin).replace(/\/+$/, "");
}

/**
 * The WebSocket URL of a path under the API (`http` → `ws`, `https` → `wss`).
 * @param {string} path e.g. "/api/v1/products/p/jobs/j/events/ws?after=0"
 */
export function socketUrl(path) {
  return `${apiBase().replace(/^http/, "ws")}${path}`;
}

/** @typedef {import("./session.js").Session} Session */

/**
 * A failed API call: `title`, `detail` and `code` come from the problem+json body (`body`, its other members too:
 * a release's `factoryStatus`), `retryAfterS` from a `Retry-After` header (0: none), `method` is the request's.
 * `foreign`: a body came that is not the coordinator's problem (foreign-answer.js `isCoordinatorProblem`) — its
 * `code` is then "", whatever the body named: no page acts on another server's code as the coordinator's.
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
 * (answer-shape.js AnswerShapeError: a body cut short, a proxy's page, a deploy half done). A 4xx says the request
 * itself is refused (a job that does not exist, a role too low): asking again every tick would not change it.
 * @param {unknown} err
 */
export function transient(err) {
  if (!(err instanceof ApiError)) return true;
  return err.status === 0 || err.status >= 500 || err.status === 408 || err.status === 429;
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

/**
 * Called with the error when the server refuses a token (401), and the session that sent it: the app signs out if
 * that is still the session signed in — a request of an earlier session answering late (its token revoked, the
 * reader signed in again meanwhile) must not sign out the new one.
 * @type {(err: ApiError, session: Session) => void}
 */
let onUnauthorized = () => {};
/** @param {(err: ApiError, session: Session) => void} fn */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/**
 * Turn a non-2xx response into an ApiError, reading problem+json when there is one. An answer that is not one (a
 * proxy's HTML 502 page, another server's JSON, JSON in another charset) is named by its status line, and what came
 * is said in one line as the CLI says it (foreign-answer.js `refusalDetail`). Only the coordinator's own problem
 * (`isCoordinatorProblem`) gives its `code`: a proxy's 502 `{"code":"bad_gateway"}` or a gateway's 403
 * `{"code":"forbidden"}` is another server's answer, said by its words with no code (`foreign`).
 * @param {Response} res @param {string} method @param {string} token the token sent, hidden in what is said
 */
async function toError(res, method, token) {
  const seen = await readAnswer(res, token);
  const body = seen.json && typeof seen.body === "object" && !Array.isArray(seen.body) ? seen.body : null;
  const retryAfterS = retryAfterSeconds(res.headers.get("retry-after"));
  const problem = typeof body?.title === "string";
  const title = problem ? body.title : statusWords(res.status, res.statusText);
  const ours = isCoordinatorProblem(body, seen.contentType);
  const code = ours ? String(body?.code) : "";
  const foreign = !ours && seen.text !== "";
  return new ApiError(res.status, title, refusalDetail(seen, problem), code, { body, retryAfterS, method, foreign });
}

/**
 * Until when (epoch ms) each product's coordinator asked not to be read again (a 503 or 429 with `Retry-After`), and
 * the refusal that asked. Every panel polls on its own clock (the shared poller every 3 s, the metrics tiles, the
 * health badge, the page's own list): each asked again on its next tick, an overloaded coordinator was read several
 * times inside the wait it named. A read inside the wait fails at once with that refusal, the seconds left in it.
 * @type {Map<string, { until: number, err: ApiError }>}
 */
const backOff = new Map();

/**
 * The refusal a read of `product` gets without asking, inside a wait the coordinator named; undefined outside one.
 * @param {string} product @param {number} now epoch ms
 */
function heldBack(product, now) {
  const held = backOff.get(product);
  if (!held) return undefined;
  if (now >= held.until) {
    backOff.delete(product);
    return undefined;
  }
  const { status, title, detail, code, body, foreign } = held.err;
  const retryAfterS = Math.ceil((held.until - now) / 1000);
  return new ApiError(status, title, detail, code, { body, retryAfterS, method: "GET", foreign });
}

/**
 * A raw authenticated request under `/api/v1/products/<product>`.
 * @param {Session} session
 * @param {string} path e.g. "/jobs?limit=50"
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function request(session, path, init = {}) {
  const method = (init.method ?? "GET").toUpperCase();
  // Reads wait out a `Retry-After`; a write is the operator's own act, sent (and its refusal said) as asked.
  const held = method === "GET" ? heldBack(session.product, Date.now()) : undefined;
  if (held) throw held;
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${session.token}`);
  const url = `${apiBase()}/api/v1/products/${encodeURIComponent(session.product)}${path}`;
  let res;
  try {
    res = await fetch(url, { ...init, headers });
  } catch {
    throw new ApiError(0, "Cannot reach the coordinator", "the network request failed", "network", { method });
  }
  if (!res.ok) {
    const err = await toError(res, method, session.token);
    if (err.retryAfterS > 0 && (res.status === 503 || res.status === 429))
      backOff.set(session.product, { until: Date.now() + err.retryAfterS * 1000, err });
    // Another server's 401 (an access gateway's) says nothing of the token the coordinator knows: no sign-out.
    if (res.status === 401 && !err.foreign) onUnauthorized(err, session);
    throw err;
  }
  return res;
}

/**
 * GET or POST JSON; resolves to the parsed body (null for 204). With `answer`, the body is checked against that shape
 * (answers.js) first: a 2xx the page cannot use — not JSON, or not the shape it reads — rejects with an
 * AnswerShapeError naming the field, which the page shows where it shows any failed read.
 * @param {Session} session
 * @param {string} path
 * @param {{ method?: string, body?: unknown, answer?: import("./answer-shape.js").Shape }} [opts]
 * @returns {Promise<any>}
 * @throws {ApiError} a refusal, or no answer; {AnswerShapeError} a 2xx answer that is not what the page reads
 */
export async function api(session, path, opts = {}) {
  /** @type {RequestInit} */
  const init = { method: opts.method ?? "GET" };
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers = { "content-type": "application/json" };
  }
  const res = await request(session, path, init);
  const method = init.method ?? "GET";
  const seen = res.status === 204 ? undefined : await readAnswer(res, session.token);
  // A proxy's or a portal's page answered in the coordinator's place, the body was cut short, or JSON came in another
  // charset: JSON.parse's "Unexpected token '<'" said none of it. Asking again may work; a write's outcome is unknown.
  if (seen && !seen.json && seen.text !== "") throw notJson(method, path, foreignAnswerText(seen));
  const body = seen?.json ? seen.body : null;
  return opts.answer === undefined ? body : checkAnswer(method, path, body, opts.answer);
}

/**
 * Check a token by reading one job summary: the cheapest read that needs the viewer role, so a factory's token
 * (which may read the queue version, and nothing a page shows) is refused here, not by every page after sign-in.
 * Does not trigger the sign-out handler: a bad token at sign-in is just shown.
 * @param {Session} session
 * @returns {Promise<void>}
 */
export async function verifySession(session) {
  const saved = onUnauthorized;
  onUnauthorized = () => {};
  try {
    await api(session, "/jobs?limit=1&fields=summary", { answer: JOB_PAGE });
  } finally {
    onUnauthorized = saved;
  }
}

/** @param {string} id */
export const jobPath = (id) => `/jobs/${encodeURIComponent(id)}`;
