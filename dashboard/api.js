// api.js — the REST client: the API base (config.js), bearer-authenticated JSON calls with the signed-in session
// (session.js, re-exported: pages import both from here), and problem+json errors turned into ApiError (api-error.js,
// re-exported too).

import { checkAnswer, notJson } from "./answer-shape.js";
import { JOB_PAGE } from "./answers.js";
import { ApiError } from "./api-error.js";
import { API_BASE } from "./config.js";
import { foreignAnswerText, isCoordinatorProblem, readAnswer, refusalDetail, statusWords } from "./foreign-answer.js";
import { retryAfterSeconds } from "./problem-text.js";

export { ApiError, describeError, outcomeUnknown, transient, writeFailure } from "./api-error.js";
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
 * `{"code":"forbidden"}` is another server's answer, said by its words with no code (`foreign`); so is one with no body.
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
  // No body is another server's too: the coordinator writes a problem for every refusal (a proxy's bare 404 mid-deploy
  // said "No budget is set", a gateway's bare 401 signed the reader out).
  const foreign = !ours;
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
    // Another server's 401 (an access gateway's, with a body or none) says nothing of the token the coordinator knows:
    // no sign-out, which dropped the saved token.
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
