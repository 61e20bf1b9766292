/**
 * @module dashboard/session
 * The signed-in session, kept for this tab only: token and product in sessionStorage (gone when the tab closes; the
 * admin token only when the user chose to keep it), and the product a token names. api.js re-exports it.
 */

import { tokenShapeProblem } from "./token-shape.js";

const STORE_KEY = "gigafactory.session";

/** @typedef {{ token: string, product: string }} Session */

/**
 * The product a `gf_<product>_<secret>` (or `gfe_…`) token belongs to, if it looks like one.
 * @param {string} token
 */
export function productFromToken(token) {
  const m = /^gfe?_([a-z0-9][a-z0-9-]{0,62})_[A-Za-z0-9_-]{43}$/.exec(token.trim());
  return m ? m[1] : "";
}

/** @returns {Session | null} */
export function loadSession() {
  try {
    // Earlier versions kept the token in localStorage, readable for ever by any script of this origin.
    localStorage.removeItem(STORE_KEY);
    const raw = sessionStorage.getItem(STORE_KEY);
    const s = raw ? JSON.parse(raw) : null;
    return s && typeof s.token === "string" && typeof s.product === "string" ? s : null;
  } catch {
    return null;
  }
}

/**
 * Keep the session for this tab only. The admin token (one that names no product) is kept only
 * when `remember` is set: otherwise it lives in memory and a reload asks for it again. A token whose shape is not
 * ours (token-shape.js `tokenShapeProblem`: another service's, a product token cut off) is never kept.
 * @param {Session} s
 * @param {boolean} [remember] the user chose to keep an admin token for this tab
 */
export function saveSession(s, remember = false) {
  // Nor, ever, a token whose shape says it is not ours (another service's, a cut paste: token-shape.js), whatever
  // the box said: a GitHub token names no product, and was kept as an admin token.
  if ((isAdminToken(s.token) && !remember) || tokenShapeProblem(s.token) !== undefined) {
    sessionStorage.removeItem(STORE_KEY);
    return;
  }
  sessionStorage.setItem(STORE_KEY, JSON.stringify(s));
}

export function clearSession() {
  sessionStorage.removeItem(STORE_KEY);
  localStorage.removeItem(STORE_KEY);
}

/**
 * A token that names no product: the deployment's admin token (the server is the judge). Another service's token
 * names none either: the sign-in form refuses it first (token-shape.js `foreignTokenProblem`). @param {string} token
 */
export function isAdminToken(token) {
  return productFromToken(token) === "";
}
