// problem-text.js — what a refused request says on the page: the problem's own words made bounded and inert (a
// proxy's or a bug's 100 KB detail filled the page with one line; a right-to-left override in it drew the page's own
// words after it backwards), what to do about it in words for the codes the page knows, and the wait a 503 or a 429
// asked for (`Retry-After`, read into seconds). The words are the page's; the judge stays the server.

import { commandText } from "./command-words.js";
import { isolated, shortText } from "./dom.js";

/** The most graphemes of a problem's title or detail a status line shows; past it the text ends in "…". */
export const MAX_PROBLEM_TEXT = 400;

/** The longest wait a `Retry-After` is taken for, in seconds: a proxy's "come back tomorrow" must not freeze reads. */
export const MAX_RETRY_AFTER_S = 300;

/**
 * Someone else's words as one line of at most MAX_PROBLEM_TEXT graphemes, isolated when they hold a bidi control; a
 * CLI command in them that a page of the dashboard does is said as that page (command-words.js: "check the Jobs page").
 * @param {string} text
 */
export const problemText = (text) => isolated(shortText(commandText(text), MAX_PROBLEM_TEXT));

/** A problem's `code` as shown: the API's shape (snake_case), else nothing — it is the server's text. @param {unknown} code */
export const problemCode = (code) => (typeof code === "string" && /^[a-z][a-z0-9_]{0,63}$/.test(code) ? code : "");

/**
 * The seconds a `Retry-After` header asks for (RFC 9110 §10.2.3: delay-seconds or an HTTP-date), at most
 * MAX_RETRY_AFTER_S; 0 when there is none or it cannot be read.
 * @param {string | null} header @param {number} [now] epoch ms
 */
export function retryAfterSeconds(header, now = Date.now()) {
  const v = (header ?? "").trim();
  if (v === "") return 0;
  const s = /^\d+$/.test(v) ? Number(v) : Math.ceil((Date.parse(v) - now) / 1000);
  return Number.isFinite(s) && s > 0 ? Math.min(s, MAX_RETRY_AFTER_S) : 0;
}

/** A 4xx another server wrote (a proxy's, an access gateway's, another service at the coordinator's URL). */
const FOREIGN_REFUSAL =
  "Another server answered, not the coordinator: check the coordinator's URL and any proxy or access gateway in front of it.";

const STAGE_MOVED = "The job moved on meanwhile: look at its stage now before acting again.";

/**
 * What to do about each refusal the page knows, in the page's words (the CLI's are commands: src/cli/errors.ts). Not
 * `conflict`: its detail says what to do itself, case by case ("remove it first", "stop it first", "read its reviews
 * again"), and one sentence for all of them would contradict some.
 */
const ADVICE = {
  unauthorized: "Sign in again with a valid token.",
  forbidden: "Your token's role does not allow this: sign out and sign in with an operator token.",
  validation_failed: "Correct the value named above and try again.",
  not_found: "It no longer exists (or never did): check the link, or the list it came from.",
  fenced: STAGE_MOVED,
  illegal_transition: STAGE_MOVED,
  budget_exceeded: "Raise the job's budget (Job budget $) above what it spent, then requeue.",
  ancestor_cancelled:
    "A job above it was cancelled, and its work with it: submit this work as a new job if it is still wanted.",
  limit_exceeded: "A product-wide limit is reached (the detail says which): remove or revoke some before adding more.",
  payload_too_large: "Make it smaller and try again.",
  feed_purged: "Retention removed this job's feed: submit a new job for new work.",
};

/**
 * What to do about a refusal of the sign-in form's check (signin.js, api.js `verifySession`), where the ADVICE for a
 * link read wrong: an unknown product there is a Product field mistyped, not "check the link, or the list it came
 * from"; a token refused is one typed, not one to sign in again with.
 */
const SIGN_IN_ADVICE = {
  not_found: "No product of that name on this coordinator: check the Product field (a product token fills it in).",
  unauthorized: "The coordinator does not know this token (mistyped, revoked or expired): check it, or mint a new one.",
  forbidden: "This token cannot read the product's jobs: sign in with an operator or viewer token of this product.",
};

/**
 * Where a refusal is said, which changes what to do about it: "" for a page's read or write (a link followed, a
 * button pressed), "signin" for the sign-in form's check of what was typed.
 * @typedef {"" | "signin"} AdviceContext
 */

/**
 * What to do about a refused request, in words; "" when the page knows nothing better than the problem's own.
 * `retryAfterS`: the wait the answer asked for (0: none said). `method`: the request's, since a write whose answer
 * never came may have been applied, and must be looked at before it is sent again. `context`: where it is said.
 * `foreign`: another server's answer (api.js ApiError), whose 4xx says nothing the coordinator judged.
 * @param {{ status: number, code: string, retryAfterS: number, method: string, foreign?: boolean }} err
 * @param {AdviceContext} [context]
 * @returns {string}
 */
export function advice({ status, code, retryAfterS, method, foreign = false }, context = "") {
  if (context === "signin" && Object.hasOwn(SIGN_IN_ADVICE, code))
    return SIGN_IN_ADVICE[/** @type {keyof typeof SIGN_IN_ADVICE} */ (code)];
  if (status === 0)
    return method === "GET"
      ? "Check the network and that the coordinator is up; then try again."
      : "It may have reached the coordinator before the connection failed: look at the outcome on the page before trying again.";
  const again = retryAfterS > 0 ? `Try again in ${retryAfterS} s.` : "Try again in a moment.";
  if (code === "unavailable" || status === 429 || status === 503)
    return code === "limit_exceeded" && retryAfterS === 0 ? ADVICE.limit_exceeded : again;
  if (Object.hasOwn(ADVICE, code)) return ADVICE[/** @type {keyof typeof ADVICE} */ (code)];
  if (foreign && status < 500) return FOREIGN_REFUSAL;
  if (status >= 500) return `${again} If it persists, check that the coordinator (and any proxy before it) is up.`;
  return "";
}
