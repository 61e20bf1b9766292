// role.js — who the signed-in token is (GET …/whoami, read once per sign-in by app.js) and the one rule every page
// follows for what its role may not use: a control marked `data-needs="operator"` (or "admin") is not drawn for a
// lower role. The rule is style.css's, keyed on <html data-role>, so a page marks its controls and does nothing else,
// and a control drawn later (a redrawn row, a new page) is hidden by the same mark — so is a nav link to a page only
// an operator can use (index.html: Enrollment, Dead letters), where a viewer could only be told so. Until whoami
// answers, <html> is marked PENDING: no role-gated control shows. A role the page cannot know — an older coordinator
// without whoami (its own 404), reads failing for long (app.js WHO_TRIES) — leaves <html> unmarked: everything is
// offered, as before. A whoami refused otherwise (another server's 4xx — a gateway's 403 —, the coordinator's own
// refusal other than a 404, an answer naming no role or not JSON) is UNREAD: no role-gated control is offered, as for a
// viewer, and the header says the role could not be read and why (asked again at each tick: app.js). The server stays
// the judge: a control shown to a role it refuses still gets the refusal, said as ever.

import { AnswerShapeError } from "./answer-shape.js";
import { ApiError, api, describeError } from "./api.js";

/** The roles that act on a product, weakest first: a control needing one is offered to it and those after it. */
const ORDER = ["viewer", "operator", "admin"];

/**
 * Whether `role` may use a control marked `data-needs=need`. An unknown role ("": not read) may use everything — the
 * server decides; a role outside ORDER (a factory's) nothing.
 * @param {string} role as GET …/whoami says it, or "" when unknown
 * @param {"operator" | "admin"} need
 */
export function can(role, need) {
  if (!role) return true;
  const have = ORDER.indexOf(role);
  return have >= 0 && have >= ORDER.indexOf(need);
}

/**
 * The role of a token whose whoami was refused or answered with no role, by anything but an older coordinator
 * (another server's 4xx, the coordinator's own 403): offered no role-gated control — another server's 403 on whoami
 * offered a viewer every control, as if the coordinator had no whoami. Not one of the roles the server gives.
 */
export const UNREAD = "unread";

/**
 * Who the session's token is: `{ role, actor }` from GET …/whoami, with `why` (one line) when `role` is UNREAD;
 * null when an older coordinator answers (its own problem+json 404: no whoami route); undefined when this read failed
 * for the moment (the network, a 5xx, a 429: worth asking again — taken as final, one dropped read left a viewer
 * offered every control for the whole session). A 2xx that is not JSON is UNREAD, as one naming no role: another
 * server's page (a gateway's sign-in, answered 200) was asked again as a passing failure, and after app.js WHO_TRIES
 * every control was offered, as to an older coordinator. Never throws. A 401 signs the session out
 * as any read's does (not another server's: api.js).
 * @param {import("./api.js").Session} session
 * @returns {Promise<{ role: string, actor: string, why?: string } | null | undefined>}
 */
export async function readWhoami(session) {
  try {
    const w = await api(session, "/whoami");
    const role = typeof w?.role === "string" && /^[a-z_]{1,32}$/.test(w.role) ? w.role : "";
    if (role) return { role, actor: typeof w.actor === "string" ? w.actor : "" };
    return { role: UNREAD, actor: "", why: "its answer named no role" };
  } catch (err) {
    if (err instanceof AnswerShapeError) return { role: UNREAD, actor: "", why: describeError(err) };
    const status = typeof err?.status === "number" ? err.status : 0;
    if (status === 0 || status === 429 || status >= 500) return undefined;
    // The coordinator's own 404 (a code: its problem+json) is a route it does not have — one older than whoami.
    if (status === 404 && err instanceof ApiError && err.code !== "") return null;
    return { role: UNREAD, actor: "", why: describeError(err) };
  }
}

/**
 * The mark of a page whose role is not known yet (whoami not answered): style.css hides every `data-needs` control
 * for it, as for a viewer — a slow whoami showed a viewer the action bar until its answer. Not one of the roles the
 * server gives (viewer, operator, admin, factory).
 */
export const PENDING = "pending";

/**
 * Whether the page's role mark (`markRole`) offers an operator's controls: unmarked (an older coordinator: all is
 * offered), an operator's or the admin's, and PENDING — a page drawn then is drawn again once whoami names a role that
 * may not act (app.js), and an operator's is not. False for a viewer and for UNREAD. True where there is no page.
 */
export function mayActNow() {
  const role = globalThis.document?.documentElement?.dataset?.role ?? ""; // no page (a unit test stubs one)
  return role === PENDING || can(role, "operator");
}

/**
 * Mark the page with `role` (style.css hides what it may not use; PENDING hides every role-gated control), or unmark
 * it ("": show everything).
 * @param {string} role
 */
export function markRole(role) {
  if (role) document.documentElement.dataset.role = role;
  else delete document.documentElement.dataset.role;
}

/** The header's words for a role that may only look; "" for one that may act (or is unknown). @param {string} role */
export function readOnlyText(role) {
  if (role === UNREAD) return "read-only (role not read)";
  return role && !can(role, "operator") ? `read-only (${role} token)` : "";
}

/**
 * The title of the header's read-only marker: for UNREAD, that the role could not be read and why (`why`, one line).
 * @param {string} role @param {string} [why]
 */
export function readOnlyTitle(role, why = "") {
  if (role !== UNREAD) return "This token may look but not act: the controls that change anything are not shown";
  const said = why.replace(/[.!?]?$/, ".");
  return `The token's role could not be read, so the controls that change anything are not shown. GET …/whoami: ${said}`;
}

/**
 * Whether a page reads what only an operator may list (dead letters, enrollment codes) for `role`: an operator's or
 * the admin's, an unknown one (""), and UNREAD — the server judges the read; only its controls stay hidden.
 * @param {string} role
 */
export const mayList = (role) => role === UNREAD || can(role, "operator");

/**
 * Whether the page `page` (the hash's first part: "settings", "jobs", …), drawn while the role was `was`, is drawn
 * again now that it is `role`: only the pages that draw by the role — the settings form (read-only or not) and the
 * operator's lists (dead letters, enrollment codes: listed or "for operators"). Every other page's controls and words
 * follow the role mark (style.css `data-needs`, `data-lacks`): drawn again, it lost the reader's scroll, keyboard focus
 * and what they had typed (a role not read, then read: app.js).
 * @param {string} page @param {string} was @param {string} role
 */
export function drawnAgain(page, was, role) {
  if (page === "settings") return can(was, "operator") !== can(role, "operator");
  if (page === "dead-letters" || page === "enrollment") return mayList(was) !== mayList(role);
  return false;
}
