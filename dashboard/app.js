// app.js — the dashboard's entry point: session (and who its token is: role.js), header (product, a viewer's
// read-only marker, counts, queue version), hash routing (#/jobs, #/jobs/<id>, #/fleet, #/enrollment,
// #/dead-letters, #/settings, #/routing, …) and the shared poller.

import { alertsView } from "./alerts.js";
import { apiBase, clearSession, loadSession, setUnauthorizedHandler } from "./api.js";
import { budgetView } from "./budget.js";
import { guardBusy } from "./busy.js";
import { deadLettersView } from "./dead-letters.js";
import { h, replace } from "./dom.js";
import { enrollmentCodesView } from "./enrollment-codes.js";
import { fleetView } from "./fleet.js";
import { renderSummary } from "./header-summary.js";
import { mountHealth } from "./health-badge.js";
import { jobDetailView } from "./job-detail.js";
import { jobsView } from "./jobs.js";
import { lessonsView } from "./lessons.js";
import { Live } from "./live.js";
import { mountMetricsTiles } from "./metrics.js";
import { afterPress, watchPresses } from "./press-hold.js";
import { drawnAgain, markRole, PENDING, readOnlyText, readOnlyTitle, readWhoami, UNREAD } from "./role.js";
import { routingView } from "./routing.js";
import { settingsView } from "./settings.js";
import { signInView } from "./signin.js";

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const session = /** @type {HTMLElement} */ (document.getElementById("session"));
const nav = /** @type {HTMLElement} */ (document.getElementById("nav"));
const summary = /** @type {HTMLElement} */ (document.getElementById("summary"));
const tiles = /** @type {HTMLElement} */ (document.getElementById("tiles"));

/** @type {Live | null} */
let live = null;
/** @type {(() => void) | null} */
let cleanup = null;
/** @type {(() => void) | null} */
let unsubscribeHeader = null;
/** @type {(() => void) | null} */
let unmountTiles = null;
/** Stops the header's health badge (alerts.js). @type {(() => void) | null} */
let stopHealth = null;
/** The route path last rendered (without its query). */
let lastPath = "";
/** Whether the current session's first data has arrived (route() draws only then). */
let liveReady = false;

function teardown() {
  cleanup?.();
  cleanup = null;
}

/** @param {string} [notice] */
function signOut(notice) {
  teardown();
  lastPath = "";
  unsubscribeHeader?.();
  unmountTiles?.();
  unmountTiles = null;
  stopHealth?.();
  stopHealth = null;
  live?.stop();
  live = null;
  markRole(""); // the sign-in form is no one's
  clearSession();
  nav.hidden = true;
  replace(session);
  replace(summary);
  signInView(main, start, notice);
}

/** @param {import("./api.js").Session} s */
function start(s) {
  live = new Live(s);
  nav.hidden = false;
  renderSession(live);
  const l = live;
  unsubscribeHeader = l.subscribe(() => renderSummary(summary, l));
  unmountTiles = mountMetricsTiles(tiles, l);
  const badge = document.getElementById("health-badge");
  if (badge) stopHealth = mountHealth(badge, l);
  replace(main, h("p", { class: "muted" }, "Loading…"));
  // Not known yet: no role-gated control is drawn until whoami tells (role.js PENDING). A page drawn after WHO_WAIT_MS
  // without it showed a viewer the action bar, Save, Release… until the role arrived.
  markRole(PENDING);
  liveReady = false;
  l.start();
  // Who the token is, beside the poller's first read: no page is drawn before it is known, so none offers a viewer a
  // button for a moment (role.js) — unless it takes longer than WHO_WAIT_MS: a whoami the network holds kept every
  // page at "Loading…" for ever; its role-gated controls stay hidden meanwhile (PENDING). Unknown (an older
  // coordinator), every control is offered.
  const waited = new Promise((resolve) => setTimeout(resolve, WHO_WAIT_MS));
  void Promise.all([l.ready, Promise.race([learnWho(l), waited])]).then(() => {
    if (live !== l) return;
    liveReady = true;
    route(); // whatever the hash is by now: a change while loading is not drawn twice
  });
}

/** 4 s: how long the first page waits for whoami beyond the poller's first read, before it is drawn without it. */
const WHO_WAIT_MS = 4000;
/** Failed whoami reads (one per poller tick) after which role-gated controls are offered while it is asked again. */
const WHO_TRIES = 5;

/**
 * Reads who `l`'s token is (role.js) until told: a read that failed for the moment is asked again at the poller's
 * next tick. Once known, the page is marked and the header says it; a page that draws by the role, drawn before it was
 * known, is drawn again (role.js drawnAgain: settings were editable, the enrollment codes asked for); any other keeps
 * the reader's scroll, focus and typing, its controls shown by the mark. Until then the page is
 * marked PENDING (role-gated controls hidden) — for WHO_TRIES failed reads at most: a whoami failing for longer
 * (a coordinator's fault) would have kept an operator from every control, so it is then offered them, the server
 * judging, and asking goes on. Resolves after the first read, told or not. @param {Live} l
 */
function learnWho(l) {
  let asking = false;
  let known = false;
  let failed = 0;
  const ask = async () => {
    asking = true;
    const w = await readWhoami(l.session);
    asking = false;
    if (live !== l || known) return;
    if (w === undefined) {
      if (++failed === WHO_TRIES) markRole("");
      return;
    }
    // A role not read (another server answered: a gateway's page, its 403) is asked again at each tick: taken as final,
    // one passing answer left an operator read-only for the session. The pages drawn for it are drawn again once read.
    if (w?.role === UNREAD && l.role === UNREAD) return;
    const was = l.role;
    known = w?.role !== UNREAD;
    if (known) stopAsking();
    l.role = w?.role ?? "";
    l.actor = w?.actor ?? "";
    markRole(l.role);
    document.getElementById("role-marker")?.remove();
    showWho(l, w?.why);
    if (liveReady && l.role && drawnAgain(location.hash.split(/[/?]/)[1] ?? "", was, l.role)) afterPress(route);
  };
  const stopAsking = l.subscribe(() => {
    if (!asking && !known) void ask();
  });
  return ask();
}

/** The header's session corner: the product and Sign out. */
function renderSession(/** @type {Live} */ l) {
  replace(
    session,
    h("span", { class: "product", title: "Product" }, l.session.product),
    h("button", { type: "button", class: "secondary small", id: "signout", onclick: () => signOut() }, "Sign out"),
  );
}

/**
 * Who the token is, once known: named in the product's title; "read-only (viewer token)" for a look-only role, and
 * for one whose whoami was refused (role.js UNREAD) "read-only (role not read)", `why` in its title.
 * @param {Live} l @param {string} [why]
 */
function showWho(l, why) {
  const product = session.querySelector(".product");
  if (l.actor) product?.setAttribute("title", `Product · signed in as ${l.actor}`);
  const readOnly = readOnlyText(l.role);
  if (!readOnly) return;
  const title = readOnlyTitle(l.role, why);
  product?.after(h("span", { class: "badge read-only", id: "role-marker", title }, readOnly));
}

function route() {
  if (!live) return;
  teardown();
  const [path = "", query = ""] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean);
  for (const a of nav.querySelectorAll("a")) {
    const current = a.getAttribute("href") === `#/${parts[0] ?? "jobs"}`;
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (parts[0] === "fleet") cleanup = fleetView(main, live);
  else if (parts[0] === "enrollment") cleanup = enrollmentCodesView(main, live);
  else if (parts[0] === "dead-letters") cleanup = deadLettersView(main, live);
  else if (parts[0] === "settings") cleanup = settingsView(main, live);
  else if (parts[0] === "budget") cleanup = budgetView(main, live);
  else if (parts[0] === "lessons") cleanup = lessonsView(main, live);
  else if (parts[0] === "routing") cleanup = routingView(main, live);
  else if (parts[0] === "alerts") cleanup = alertsView(main, live, params);
  else if (parts[0] === "jobs" && parts[1]) cleanup = jobDetailView(main, live, jobIdOf(parts[1]));
  else cleanup = jobsView(main, live, params);
  // A new page moves focus to it; a new filter on the same page keeps focus on the chosen filter.
  const chosen = path === lastPath ? main.querySelector('.filters [aria-current="page"]') : null;
  if (chosen instanceof HTMLElement) chosen.focus({ preventScroll: true });
  else main.focus({ preventScroll: true });
  lastPath = path;
}

/**
 * The job id in a `#/jobs/<id>` hash. A malformed escape (a link cut after "%") threw here, after the old page was
 * torn down: the old page stayed on screen, no longer updated. Such an id is asked for as written (the API says
 * it does not exist). @param {string} part
 */
function jobIdOf(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

// Several requests may be refused at once: sign out on the first, ignore the rest — and those of an earlier
// session, still out when it ended, once the reader has signed in again.
setUnauthorizedHandler((err, session) => {
  if (live && live.session === session) signOut(`Signed out: ${err.readable}`);
});
// Before the first data arrives, `ready` routes to the hash of that moment; routing on a change too would draw the
// page twice, swapping its elements under whoever already holds them.
window.addEventListener("hashchange", () => {
  if (liveReady) route();
});
// A redraw the person did not cause waits for a press in progress (press-hold.js); first, as the listeners below stop
// the clicks they drop, and a tap's click unseen held every redraw for TAP_CLICK_MS (pass 45 review).
watchPresses(document, window);
// A double click is one press. Each page greys its button out while its action is out, but the second click of a
// double click lands after the first answer when that answer is quick or the browser slow (a loaded machine): it
// acted again — a second Resume lifted the exhaustion pause the first left in force, and dispatch ran past the
// ceiling. The click a double click adds (detail 2, 3, …) is dropped before any page sees it; a keyboard press is
// detail 0, and two separate presses are two.
document.addEventListener(
  "click",
  (ev) => {
    const target = ev.target instanceof Element ? ev.target.closest("button, input[type=submit]") : null;
    if (!target || ev.detail < 2) return;
    ev.preventDefault(); // a submit button's second click must not submit its form either
    ev.stopImmediatePropagation();
  },
  true,
);
// A button whose request is out is greyed out with aria-disabled, not disabled, so it keeps keyboard focus: its
// presses are dropped here, before any page's listener (busy.js).
guardBusy(document);
// The skip link must not touch the hash: the hash is the route.
document.querySelector(".skip")?.addEventListener("click", (ev) => {
  ev.preventDefault();
  main.focus();
});
// The API may live on another origin (config.js): the docs link follows it.
document.querySelector('a[href="/api/v1/openapi.json"]')?.setAttribute("href", `${apiBase()}/api/v1/openapi.json`);
const saved = loadSession();
if (saved) start(saved);
else signOut();
