// fleet.js — the fleet map: one card per factory (status, health, whether it is connected, seats in use,
// capabilities, what waits for approval and the seat limit, heartbeat age, track record), kept current by the shared
// Live poller.

import { breakerResetPanel, resetAnswers } from "./breaker-reset.js";
import { ago, clock, h, replace, statusLine, timeLeft, when, wholePercent } from "./dom.js";
import { keepFieldErrors } from "./field-error.js";
import { breakerBadges, quarantinePanel, releaseAnswers } from "./fleet-breakers.js";
import { grantPanel, grantStore } from "./fleet-grants.js";
import { disconnected, disconnectedText, linkBadge } from "./fleet-link.js";
import { heldAway, neverConnected, seatsCounted } from "./fleet-seats.js";
import { trackBlock, trackRecordsFeed } from "./fleet-track.js";
import { counted, grouped } from "./format.js";
import { keepTyping } from "./kept-box.js";
import { afterPress } from "./press-hold.js";

/**
 * Render the fleet view into `root`; returns a cleanup function.
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 */
export function fleetView(root, live) {
  const summary = h("p", { class: "muted", id: "fleet-summary" });
  const stale = h("p", { class: "status error", id: "fleet-stale", role: "status", hidden: true });
  const grid = h("ul", { class: "fleet", "aria-label": "Factories" });
  // What is said of a card that is gone (a factory removed while an approval was out), and where focus then goes.
  const pageStatus = statusLine();
  pageStatus.id = "fleet-status";
  pageStatus.tabIndex = -1;
  const grants = grantStore(pageStatus);
  replace(
    root,
    h(
      "section",
      { "aria-labelledby": "fleet-title" },
      h("h1", { id: "fleet-title" }, "Fleet"),
      summary,
      stale,
      pageStatus,
      grid,
    ),
  );

  /** The list and the track records the cards were drawn from: a tick that brought neither only moves the ages. */
  /** @type {{ factories: any[], records: any[] } | null} */
  let drawn = null;
  const render = () => {
    const factories = live.factories;
    // Before any read of the list worked, a failed one says so here: "Loading…" stayed for as long as it failed.
    const unread = live.error ? `The fleet could not be read: ${live.error}` : "Loading…";
    summary.textContent = live.factoriesAt ? fleetSummary(factories) : unread;
    // Read once, then failing: the cards stayed as they were, "health ok" with heartbeat ages that kept growing — read
    // as factories going quiet, when it was the coordinator that could not be read. Said, with when the list was read.
    const since = live.factoriesAt && live.error ? staleText(live.factoriesAt, live.error) : "";
    if (stale.textContent !== since) stale.textContent = since;
    stale.hidden = !since;
    // Every card was rebuilt on every tick (3 s) for its heartbeat age: 1,000 factories were ~16,000 nodes rebuilt,
    // each card filtering every track record (up to 5,000) for its own. The ages are text, changed in place.
    if (drawn?.factories === factories && drawn.records === track.records()) refreshTimes(grid);
    // Drawn anew after a press in progress (press-hold.js): a poller's read replacing the pressed Release between
    // press and release sent its click to the list, and the release was never sent (CI: dashboard-reread-busy).
    else afterPress(drawCards);
  };
  const drawCards = () => {
    const factories = live.factories;
    const records = track.records();
    drawn = { factories, records };
    if (live.factoriesAt && factories.length === 0) {
      replace(
        grid,
        h(
          "li",
          { class: "empty" },
          "No factories yet. Enroll one with the agent (gigafactory-agent enroll) and a code from the ",
          // Marked as the nav link is: a viewer cannot mint a code, and role.js hides what needs an operator.
          h("a", { href: "#/enrollment", id: "fleet-enroll-link", dataset: { needs: "operator" } }, "Enrollment page"),
          ", or POST …/factories/enroll.",
        ),
      );
      return;
    }
    // The cards are redrawn on every tick (heartbeat ages move): what a person is doing on one must survive it —
    // the element holding keyboard focus (by id), a refused box's mark, and a grant button's answer (a viewer's refusal
    // would otherwise vanish within 3 s, before it could be read). A Release's or a Reset's answer is drawn by its panel
    // from what it said, while true (card-answers.js): carried by id, it lied on the next quarantine's panel.
    const focused = document.activeElement?.closest("#main .fleet [id]")?.id;
    const said = [...grid.querySelectorAll('[id^="grant-status-"]')].map((el) => ({
      id: el.id,
      text: el.textContent ?? "",
      error: el.classList.contains("error"),
    }));
    const marks = keepFieldErrors(grid); // a refused seat limit stays marked until its box is edited
    const typing = keepTyping(grid); // the seat limit being typed in: the same box, its caret where it was
    const byFactory = Map.groupBy(records, (/** @type {any} */ r) => r.factoryId);
    replace(grid, ...factories.map((f) => factoryCard(f, live, render, byFactory.get(f.id) ?? [], grants)));
    for (const { id, text, error } of said) {
      const el = document.getElementById(id);
      if (!el) continue;
      el.textContent = text;
      el.classList.toggle("error", error);
    }
    typing();
    marks();
    if (focused) document.getElementById(focused)?.focus();
  };
  const track = trackRecordsFeed(live.session, () => render());
  render();
  const unsubscribe = live.subscribe(render);
  return () => {
    unsubscribe();
    track.stop();
    // Said on this visit: a Release's or Reset's answer is not said again on the way back (nor is it true then).
    releaseAnswers.forget();
    resetAnswers.forget();
  };
}

/**
 * Text that says how long ago (`data-ago`, epoch ms) or how long until (`data-until`) something is, between its
 * `data-before` and `data-after` words: made current in place on each tick.
 * @param {Element} root @param {number} [now]
 */
export function refreshTimes(root, now = Date.now()) {
  for (const el of root.querySelectorAll("[data-ago], [data-until]")) {
    if (!(el instanceof HTMLElement)) continue;
    const { ago: at, until, before = "", after = "" } = el.dataset;
    const text = at !== undefined ? ago(Number(at), now) : timeLeft(Number(until) - now);
    const next = `${before}${text}${after}`;
    if (el.textContent !== next) el.textContent = next;
  }
}

/**
 * The line over the cards while the shared poller's reads fail after the list was read once.
 * @param {number} readAt when the list was last read (ms epoch) @param {string} error what the failed read said
 */
export const staleText = (readAt, error) =>
  `Not current: the list was read at ${clock(readAt)}, and reading it again failed: ${error}`;

export { neverConnected } from "./fleet-seats.js";

/**
 * The line over the cards. Seats are counted as the coordinator's metrics count them (the "seats busy" tile): those
 * of active factories that are up. Seats of active factories that are down, left or never connected are named
 * apart, so "0 of 2" here and "0/2" on the tile agree and the third seat is not a mystery.
 * @param {any[]} factories
 */
export function fleetSummary(factories) {
  const active = factories.filter((f) => f.status === "active");
  const up = active.filter(seatsCounted);
  const seats = up.reduce((n, f) => n + f.seats, 0);
  const away = active.reduce((n, f) => n + f.seats, 0) - seats;
  // Busy of those seats: a lease still held on a factory gone down (its host crashed) read "2 of 3 seats busy" where
  // one of the three was, and could read "3 of 2". The "seats busy" tile counts every live lease (the metrics' rule).
  const busy = up.reduce((n, f) => n + f.load, 0);
  const { jobs: elsewhere, why } = heldAway(factories); // the seats tile says them too (fleet-seats.js)
  const count = counted(factories.length, "factory", "factories");
  const kinds = active.some((f) => f.health === "left") ? "down, left" : "down";
  // "2 more on factories down" named no noun beside "0 of 0 seats busy": the seats those factories hold.
  const awayText = away ? ` · ${counted(away, "more seat")} on factories ${kinds} or never connected` : "";
  const heldText = elsewhere ? ` · ${counted(elsewhere, "more job")} held by factories ${why}` : "";
  return `${count} · ${grouped(busy)} of ${counted(seats, "seat")} busy${awayText}${heldText}${disconnectedText(factories)}`;
}

/**
 * The attributes `refreshTimes` reads for an age, when there is an instant.
 * @param {number | undefined} at @param {string} before
 */
const timeData = (at, before) => (typeof at === "number" ? { dataset: { ago: at, before } } : {});

/**
 * The card's health words: "left (drained) 5 min ago" for a factory stopped on purpose, else "health <h>".
 * @param {any} f a Factory
 * @param {number} [now] epoch ms
 */
export const healthText = (f, now = Date.now()) =>
  f.health === "left" ? `left (drained) ${ago(f.leftAt, now)}` : `health ${f.health}`;

/**
 * @param {any} f a Factory (src/core/model.ts) with its `breakers`
 * @param {import("./live.js").Live} [live] for the Release button of a quarantined factory
 * @param {() => void} [rerender]
 * @param {any[]} [records] the product's track records (fleet-track.js); absent: no track block
 * @param {import("./fleet-grants.js").GrantStore} [grants] for the grant block (fleet-grants.js); absent: none
 */
export function factoryCard(f, live, rerender = () => {}, records, grants) {
  // 199 of 200 seats drew a full bar (rounded to 100 %): a fleet that looked full was not (format.js wholePercent).
  const pct = f.seats ? wholePercent(f.load / f.seats) : 0;
  const bar = h(
    "div",
    { class: "bar", role: "img", "aria-label": `${f.load} of ${counted(f.seats, "seat")} in use` },
    h("span", { style: `width:${pct}%` }),
  );
  return h(
    "li",
    {
      class: `card factory health-${neverConnected(f) ? "never" : f.health}${disconnected(f) ? " link-down" : ""}`,
      dataset: { factory: f.name },
    },
    h(
      "div",
      { class: "card-head" },
      // Focusable from script only: where focus goes once the card's Release is gone (fleet-breakers.js).
      h("h2", { id: `factory-name-${f.id}`, tabindex: "-1" }, f.name),
      h("span", { class: `badge status-${f.status}` }, f.status),
    ),
    h(
      "p",
      { class: "health" },
      h("span", { class: "dot", "aria-hidden": "true" }),
      // Never connected is not an outage: the host was enrolled but its agent has not started yet. Nor is left: its
      // agent was stopped on purpose (drained, closed cleanly: core/departure), e.g. for an upgrade.
      neverConnected(f)
        ? h("span", null, "never connected")
        : h("span", f.health === "left" ? timeData(f.leftAt, "left (drained) ") : null, healthText(f)),
      neverConnected(f)
        ? null
        : h(
            "span",
            { class: "muted", title: when(f.lastHeartbeatAt), ...timeData(f.lastHeartbeatAt, " · heartbeat ") },
            ` · heartbeat ${ago(f.lastHeartbeatAt)}`,
          ),
      linkBadge(f),
    ),
    f.status === "draining"
      ? h(
          "p",
          { class: "muted" },
          "Draining: it finishes what it holds and gets no new work (",
          h("bdi", { dataset: { testid: "status-reason" } }, f.statusReason ?? "an operator's drain"),
          ").",
        )
      : null,
    h("div", { class: "seats" }, bar, h("span", { class: "muted" }, `${f.load} / ${counted(f.seats, "seat")}`)),
    breakerBadges(f),
    live ? breakerResetPanel(f, live, rerender) : null,
    live ? quarantinePanel(f, live, rerender) : null,
    records ? trackBlock(f, records) : null,
    f.capabilities.length
      ? h(
          "ul",
          { class: "chips", "aria-label": "Capabilities" },
          ...f.capabilities.map((/** @type {string} */ c) => h("li", null, c)),
        )
      : h("p", { class: "muted" }, "no capabilities advertised"),
    live && grants ? grantPanel(f, live, grants, rerender) : null,
    h("p", { class: "id muted" }, f.id),
  );
}
