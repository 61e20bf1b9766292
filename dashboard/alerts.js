// alerts.js — the alerts panel (#/alerts; the header's health badge is health-badge.js). The panel lists the live
// alerts (open and acknowledged) or one state, newest first, from GET …/alerts, with an Ack button on each open one
// (POST …/alerts/{id}/ack, operator; a viewer sees the server's refusal). A state's list is read a page at a time: one state's
// view has "Show older alerts" (#alerts-more) while the API answers a `nextCursor`; the live view, two states
// merged, says which state's list is cut (#alerts-cut). Stable ids and data-testids for the browser test:
// #alerts-panel, [data-testid="alert-row"][data-alert-id], [data-testid="alert-ack"].

import { ALERT_PAGE } from "./answers.js";
import { api, describeError } from "./api.js";
import { busyAttr, isBusy, setBusy } from "./busy.js";
import { commandParts } from "./command-words.js";
import { ago, focusReturn, h, redrawKeepingFocus, replace, showError, showLoadError, statusLine, when } from "./dom.js";
import { alertSubjectText } from "./factory-label.js";
import { pager } from "./pager.js";
import { pressOver } from "./press-hold.js";
import { scrollBox } from "./scroll-box.js";

/** The panel re-reads every 15 s, as the header's health badge does: a resolved alert leaves the live list by itself. */
const PANEL_EVERY_MS = 15_000;
const FILTERS = [
  ["live", "Live"],
  ["open", "Open"],
  ["acknowledged", "Acknowledged"],
  ["resolved", "Resolved"],
];

/** Alerts per read: the API's most. An older page is read only when the operator asks (#alerts-more). */
const PAGE = 200;

/**
 * The first `pages` pages of one state's alerts, newest first, each alert once.
 * @param {import("./live.js").Live} live @param {string} state @param {number} pages ≥ 1
 * @returns {Promise<{ alerts: any[], read: number, nextCursor?: string }>} `read`: pages read (fewer at the end)
 */
async function readState(live, state, pages) {
  const byId = new Map(); // an alert moving between pages between two reads is listed once
  /** @type {string | undefined} */
  let cursor;
  let read = 0;
  for (; read < pages && (read === 0 || cursor); read++) {
    const q = new URLSearchParams({ state, limit: String(PAGE), ...(cursor ? { cursor } : {}) });
    const page = await api(live.session, `/alerts?${q}`, { answer: ALERT_PAGE });
    for (const a of page.alerts) if (!byId.has(a.id)) byId.set(a.id, a);
    cursor = page.nextCursor;
  }
  return { alerts: [...byId.values()], read, nextCursor: cursor };
}

/**
 * Render the alerts panel into `root`; returns a cleanup function.
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 * @param {URLSearchParams} params `state` = live (default) | open | acknowledged | resolved
 */
export function alertsView(root, live, params) {
  let alive = true;
  const filter = FILTERS.some(([k]) => k === params.get("state")) ? String(params.get("state")) : "live";
  const status = statusLine();
  status.id = "alerts-status";
  status.tabIndex = -1; // focus lands on the outcome when no Ack is left to go to
  const body = h("tbody", { id: "alerts-rows" });
  const cut = h("p", { class: "muted", id: "alerts-cut", hidden: true });
  const pg = pager("alerts-more", "Show older alerts", () => load(), status);
  const chips = h(
    "nav",
    { class: "filters", "aria-label": "Alert state" },
    ...FILTERS.map(([k, label]) =>
      h("a", { href: `#/alerts?state=${k}`, ...(k === filter ? { "aria-current": "page" } : {}) }, label),
    ),
  );

  /**
   * Alerts whose ack is on its way. The list is redrawn every 15 s: a redraw made a new, enabled Ack button for an
   * alert whose ack was still out, and a second press sent a second ack.
   * @type {Set<string>}
   */
  const acking = new Set();

  /** @param {any} a */
  const row = (a) => {
    const ack =
      a.state === "open"
        ? h(
            "button",
            {
              type: "button",
              class: "secondary small",
              "data-testid": "alert-ack",
              "data-needs": "operator", // role.js
              "data-focus-key": `ack:${a.id}`,
              "aria-label": `Acknowledge ${a.kind} ${alertSubjectText(a.subject, live.factories)}`,
              ...busyAttr(acking.has(a.id)),
              onclick: (/** @type {Event} */ ev) =>
                acknowledge(a.id, /** @type {HTMLButtonElement} */ (ev.currentTarget)),
            },
            "Ack",
          )
        : a.state === "acknowledged"
          ? h("span", { class: "muted" }, `by ${a.acknowledgedBy ?? "?"}`)
          : null;
    return h(
      "tr",
      { "data-testid": "alert-row", "data-alert-id": a.id, "data-state": a.state },
      h("td", null, h("span", { class: `badge severity-${a.severity}` }, a.severity)),
      h("td", null, a.kind),
      // Its factory by name, as the Fleet page shows it; the subject as stored on hover.
      h("td", { title: a.subject, "data-testid": "alert-subject" }, alertSubjectText(a.subject, live.factories)),
      h("td", { title: when(a.openedAt) }, ago(a.openedAt)), // to the second, as every list's age and the CLI's times
      h("td", null, ...commandParts(String(a.message ?? ""))), // a command the dashboard does: its page (command-words.js)
      h("td", { "data-testid": "alert-state" }, a.state),
      h("td", null, ack),
    );
  };

  /** The live view reads each state's first page; one state's view the pages shown (one, and one more per press). */
  const load = async () => {
    const asked = pg.begin();
    const states = filter === "live" ? ["open", "acknowledged"] : [filter];
    try {
      const reads = await Promise.all(states.map((s) => readState(live, s, filter === "live" ? 1 : pg.pages)));
      await live.ready; // the fleet read once: a subject's factory by name from the first draw (factory-label.js)
      await pressOver(); // the rows' Ack, replaced by a poll between press and release, lost the press (press-hold.js)
      if (!alive || !pg.current(asked)) return;
      const alerts = reads.flatMap((r) => r.alerts).sort((a, b) => (a.id < b.id ? 1 : -1));
      // The redraw keeps keyboard focus on the alert it was on (hundreds of rows are a long way to tab back down); an
      // alert gone from the list (resolved, or acknowledged elsewhere) hands it to the Ack now in its place, else the
      // panel's heading (the status line may be empty, and hidden) — it fell to the page's top.
      const at = acks().indexOf(/** @type {HTMLElement} */ (document.activeElement));
      redrawKeepingFocus(
        body,
        () =>
          replace(
            body,
            ...(alerts.length ? alerts.map(row) : [h("tr", null, h("td", { colspan: "7" }, "No alerts."))]),
          ),
        () => acks()[Math.min(at, acks().length - 1)] ?? document.getElementById("alerts-title"),
      );
      showLoadError(status); // an earlier "Cannot load", not what an Ack just said
      pg.shown = reads[0]?.read ?? 1;
      pg.more.hidden = filter === "live" || !reads[0]?.nextCursor;
      const cutStates = states.filter((_, i) => reads[i]?.nextCursor);
      cut.hidden = filter === "live" ? cutStates.length === 0 : true;
      cut.textContent = cutStates
        .map((s) => `Only the newest ${PAGE} ${s} alerts are listed: the ${s} filter shows older ones.`)
        .join(" ");
    } catch (err) {
      const what = pg.pages > pg.shown ? "older alerts" : "alerts";
      if (alive && pg.current(asked)) showLoadError(status, `Cannot load ${what}: ${describeError(err)}`);
    } finally {
      pg.settle(asked);
    }
  };

  /**
   * Busy (busy.js) while the ack is on its way: a double click would send a second ack, whose refusal (already
   * acknowledged) would replace the first one's success on the status line.
   * @param {string} id @param {HTMLButtonElement} button
   */
  const acknowledge = async (id, button) => {
    if (isBusy(button) || acking.has(id)) return;
    acking.add(id);
    // Acknowledged, the row has no Ack any more: focus goes to the Ack now in its place (the next open alert's), so
    // an operator acks down the list with Enter; busy meanwhile, the button keeps keyboard focus.
    const at = acks().indexOf(button);
    const giveBack = focusReturn(button, () => acks()[Math.min(Math.max(at, 0), acks().length - 1)] ?? status);
    setBusy(button, true);
    showError(status);
    status.textContent = `Acknowledging ${id}…`; // while the request is out: a slow answer is not a lost click
    try {
      await api(live.session, `/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" });
      if (!alive) return;
      showError(status);
      status.textContent = `Acknowledged ${id}.`;
      // Busy until the list is read again, as its rows are drawn (`acking`): let go at the answer, a redraw meanwhile
      // (the 15 s read, Show older) could draw the alert's Ack armed, and a second ack was refused over the first.
      try {
        pg.overtake(); // a read out now was sent before the ack: drawn before the re-read, it put the alert back
        await load();
      } finally {
        acking.delete(id);
      }
      setBusy(ackButton(id), false); // still open after the read (acknowledged elsewhere and reopened): armed again
      giveBack();
    } catch (err) {
      acking.delete(id);
      // The row shown now, which a redraw while the ack was out may have made anew.
      const current = ackButton(id);
      setBusy(current, false);
      setBusy(button, false);
      if (alive) showError(status, `Not acknowledged: ${describeError(err)}`);
      giveBack(); // to the Ack again: the one drawn anew under its key, if a redraw came meanwhile
    }
  };

  /** Every Ack button the list shows now, top to bottom. @returns {HTMLElement[]} */
  const acks = () => [...body.querySelectorAll('[data-testid="alert-ack"]')].map((b) => /** @type {HTMLElement} */ (b));

  /** The Ack button of alert `id` as the list shows it now, if any. @param {string} id */
  const ackButton = (id) =>
    /** @type {HTMLButtonElement | null} */ (
      body.querySelector(`tr[data-alert-id="${CSS.escape(id)}"] [data-testid="alert-ack"]`)
    );

  replace(
    root,
    h(
      "section",
      { class: "card", id: "alerts-panel", "aria-labelledby": "alerts-title" },
      h("h1", { id: "alerts-title", tabindex: "-1" }, "Alerts"),
      h("p", { class: "muted" }, "One alert per condition; it resolves by itself when the condition clears."),
      chips,
      cut,
      status,
      // Scrolls sideways inside its wrap: seven columns do not fit a phone, and the page itself must not scroll.
      scrollBox(
        "table-wrap",
        "Alerts table",
        null,
        h(
          "table",
          { class: "alerts" },
          h("caption", { class: "sr-only" }, "Alerts, newest first"),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ...["Severity", "Kind", "Subject", "Opened", "Message", "State"].map((t) => h("th", { scope: "col" }, t)),
              h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Action")),
            ),
          ),
          body,
        ),
      ),
      pg.more,
    ),
  );
  void load();
  const timer = setInterval(() => void load(), PANEL_EVERY_MS);
  return () => {
    alive = false;
    clearInterval(timer);
  };
}
