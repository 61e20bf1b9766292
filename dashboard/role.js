// role.js — who the signed-in token is (GET …/whoami, read once per sign-in by app.js) and the one rule every page
// follows for what its role may not use: a control marked `data-needs="operator"` (or "admin") is not drawn for a
// lower role. The rule is style.css's, keyed on <html data-role>, so a page marks its controls and does nothing else,
// and a control drawn later (a redrawn row, a new page) is hidden by the same mark — so is a nav link to a page only
// an operator can use (index.html: Enrollment, Dead letters), where a viewer could only be told so. Until whoami
// answers, <html> is marked PENDING: no role-gated control shows. A role the page cannot know — an older coordinator
// without whoami (404), reads failing for long (app.js WHO_TRIES) — leaves <html> unmarked: everything is offered, as
// before. The server stays the judge: a control shown to a role it refuses still gets the refusal, said as ever.

import { api } from "./api.js";

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
 * Who the session's token is: `{ role, actor }` from GET …/whoami; null when that cannot be told (an older
 * coordinator answers 404, an answer that is not one); undefined when this read failed for the moment (the network,
 * a 5xx, a 429: worth asking again — taken as final, one dropped read left a viewer offered every control for the
 * whole session). Never throws: the pages then offer everything. A 401 signs the session out as any read's does.
 * @param {import("./api.js").Session} session
 * @returns {Promise<{ role: string, actor: string } | null | undefined>}
 */
export async function readWhoami(session) {
  try {
    const w = await api(session, "/whoami");
    const role = typeof w?.role === "string" && /^[a-z_]{1,32}$/.test(w.role) ? w.role : "";
    return role ? { role, actor: typeof w.actor === "string" ? w.actor : "" } : null;
  } catch (err) {
    const status = typeof err?.status === "number" ? err.status : 0;
    return status === 0 || status === 429 || status >= 500 ? undefined : null;
  }
}

/**
 * The mark of a page whose role is not known yet (whoami not answered): style.css hides every `data-needs` control
 * for it, as for a viewer — a slow whoami showed a viewer the action bar until its answer. Not one of the roles the
 * server gives (viewer, operator, admin, factory).
 */
export const PENDING = "pending";

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
  return role && !can(role, "operator") ? `read-only (${role} token)` : "";
}
