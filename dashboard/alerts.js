// alerts.js — the alerts panel (#/alerts) and the product health badge in the header. The panel lists the live
// alerts (open and acknowledged) or one state, newest first, from GET …/alerts, with an Ack button on each open one
// (POST …/alerts/{id}/ack, operator; a viewer sees the server's refusal). The badge shows GET …/health's status
// (healthy / degraded / stalled) and refreshes on a timer. Stable ids and data-testids for the browser test:
// #alerts-panel, [data-testid="alert-row"][data-alert-id], [data-testid="alert-ack"], #health-badge.

import { api, describeError } from "./api.js";
import { ago, h, replace, showError, showLoadError, statusLine } from "./dom.js";

/** Health is a summary, not a feed: every 15 s keeps the header current without loading the coordinator. */
const HEALTH_EVERY_MS = 15_000;
/** The panel re-reads as often: a resolved alert leaves the live list by itself. */
const PANEL_EVERY_MS = 15_000;
const FILTERS = [
  ["live", "Live"],
  ["open", "Open"],
  ["acknowledged", "Acknowledged"],
  ["resolved", "Resolved"],
];

/** @param {import("./live.js").Live} live @param {string} filter */
async function readAlerts(live, filter) {
  const states = filter === "live" ? ["open", "acknowledged"] : [filter];
  const pages = await Promise.all(states.map((s) => api(live.session, `/alerts?state=${s}&limit=200`)));
  return pages.flatMap((p) => p.alerts).sort((a, b) => (a.id < b.id ? 1 : -1));
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
  const body = h("tbody", { id: "alerts-rows" });
  const chips = h(
    "nav",
    { class: "filters", "aria-label": "Alert state" },
    ...FILTERS.map(([k, label]) =>
      h("a", { href: `#/alerts?state=${k}`, ...(k === filter ? { "aria-current": "page" } : {}) }, label),
    ),
  );

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
              "aria-label": `Acknowledge ${a.kind} ${a.subject}`,
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
      h("td", null, a.subject),
      h("td", { title: new Date(a.openedAt).toISOString() }, ago(a.openedAt)),
      h("td", null, a.message),
      h("td", { "data-testid": "alert-state" }, a.state),
      h("td", null, ack),
    );
  };

  const load = async () => {
    try {
      const alerts = await readAlerts(live, filter);
      if (!alive) return;
      replace(body, ...(alerts.length ? alerts.map(row) : [h("tr", null, h("td", { colspan: "7" }, "No alerts."))]));
      showLoadError(status); // an earlier "Cannot load", not what an Ack just said
    } catch (err) {
      if (alive) showLoadError(status, `Cannot load alerts: ${describeError(err)}`);
    }
  };

  /**
   * Disabled while the ack is on its way: a double click would send a second ack, whose refusal (already
   * acknowledged) would replace the first one's success on the status line.
   * @param {string} id @param {HTMLButtonElement} button
   */
  const acknowledge = async (id, button) => {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await api(live.session, `/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" });
      if (!alive) return;
      showError(status);
      status.textContent = `Acknowledged ${id}.`;
      await load();
    } catch (err) {
      button.disabled = false;
      if (alive) showError(status, `Not acknowledged: ${describeError(err)}`);
    }
  };

  replace(
    root,
    h(
      "section",
      { class: "card", id: "alerts-panel", "aria-labelledby": "alerts-title" },
      h("h1", { id: "alerts-title" }, "Alerts"),
      h("p", { class: "muted" }, "One alert per condition; it resolves by itself when the condition clears."),
      chips,
      status,
      // Scrolls sideways inside its wrap: seven columns do not fit a phone, and the page itself must not scroll.
      h(
        "div",
        { class: "table-wrap" },
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
    ),
  );
  void load();
  const timer = setInterval(() => void load(), PANEL_EVERY_MS);
  return () => {
    alive = false;
    clearInterval(timer);
  };
}

/**
 * Keep `el` showing the product's health; returns a stop function.
 * @param {HTMLElement} el
 * @param {import("./live.js").Live} live
 */
export function mountHealth(el, live) {
  let alive = true;
  const show = async () => {
    try {
      const hl = await api(live.session, "/health");
      if (!alive) return;
      const f = hl.factories;
      el.hidden = false;
      el.className = `badge health-${hl.status}`;
      el.dataset.status = hl.status;
      el.title = `${hl.openAlerts.total} open alert(s) · factories ${f.ok} ok, ${f.degraded} degraded, ${f.down} down`;
      replace(el, hl.status);
    } catch {
      // The header stays quiet: the page's own requests show connection trouble.
      if (alive) el.hidden = true;
    }
  };
  void show();
  const timer = setInterval(() => void show(), HEALTH_EVERY_MS);
  return () => {
    alive = false;
    clearInterval(timer);
    el.hidden = true;
  };
}
