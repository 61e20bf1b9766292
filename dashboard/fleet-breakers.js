// fleet-breakers.js — what the fleet map shows of issue 9's circuit breakers and quarantine on a factory card: one
// badge per breaker that is not plainly closed (open with the time left, half-open, or closed with its run of
// failures; engine `*` is the factory's default engine), and on a quarantined factory a Release button that POSTs
// …/factories/{id}/release (operators: not drawn for a viewer, role.js; a token whose role is unknown sees the
// server's refusal next to it). Stable ids and data-testids
// for the browser test: `breakers-<factoryId>`, `breaker-<factoryId>-<engine>`, `release-<factoryId>`.

import { RELEASED } from "./answers.js";
import { ApiError, api, describeError } from "./api.js";
import { busyAttr, setBusy } from "./busy.js";
import { cardAnswers } from "./card-answers.js";
import { focusReturn, h, showError, statusLine, timeLeft, when } from "./dom.js";
import { counted } from "./format.js";

/** The engine as people read it: `*` is the factory's default engine (jobs that name none). */
const engineName = (/** @type {string} */ e) => (e === "*" ? "default engine" : e);

/**
 * One badge per breaker, or null when the factory has none worth showing.
 * @param {any} f a factory as GET …/factories lists it, with `breakers: [{engine, state, consecutiveFailures, openUntil?}]`
 * @param {number} [now]
 */
export function breakerBadges(f, now = Date.now()) {
  const breakers = Array.isArray(f.breakers) ? f.breakers : [];
  if (breakers.length === 0) return null;
  return h(
    "ul",
    {
      class: "chips breakers",
      id: `breakers-${f.id}`,
      "aria-label": "Circuit breakers",
      dataset: { testid: "breakers" },
    },
    ...breakers.map((/** @type {any} */ b) => {
      const name = engineName(b.engine);
      const text =
        b.state === "open"
          ? `${name}: breaker open${b.openUntil ? ` · ${timeLeft(b.openUntil - now)} left` : ""}`
          : b.state === "half_open"
            ? `${name}: breaker half-open (one trial)`
            : `${name}: ${counted(b.consecutiveFailures, "failure")} in a row`;
      // The time left is made current on each tick in place (fleet.js refreshTimes), not by redrawing the card.
      const countdown =
        b.state === "open" && b.openUntil
          ? { until: b.openUntil, before: `${name}: breaker open · `, after: " left" }
          : {};
      return h(
        "li",
        {
          class: `badge breaker breaker-${b.state}`,
          id: `breaker-${f.id}-${b.engine === "*" ? "default" : b.engine}`,
          title: b.openUntil ? `half-open at ${when(b.openUntil)}` : undefined,
          dataset: { testid: "breaker", state: b.state, engine: b.engine, ...countdown },
        },
        text,
      );
    }),
  );
}

/**
 * The factories whose release is out: their Release is drawn greyed out until it is answered. The cards are redrawn
 * on every tick of the shared poller, and the card drawn anew offered an armed Release: a second click sent a second
 * release, refused `conflict` once the first had landed, and that refusal replaced the first one's "Released".
 * @type {Set<string>}
 */
const releasing = new Set();

/**
 * What a refused release says. A `conflict` that names the factory's `factoryStatus` (not quarantined any more: an
 * operator drained it elsewhere, or took it out for good) says so, not "Conflict": there is nothing to release. (One
 * released elsewhere is active, and its release answers 200 `changed: false`.)
 * @param {unknown} err @returns {{ text: string, gone: boolean, state: string }} `gone`: the card's quarantine is
 * over; `state`: the factory's status the refusal is about
 */
function refusal(err) {
  const now = err instanceof ApiError && err.code === "conflict" ? err.body?.factoryStatus : undefined;
  if (typeof now === "string" && /^[a-z_]{1,32}$/.test(now))
    return {
      text: `Nothing to release: the factory is ${now} now, not quarantined (released meanwhile?).`,
      gone: true,
      state: now,
    };
  return { text: `Not released: ${describeError(err)}`, gone: false, state: "quarantined" };
}

/** What each factory's Release was answered, drawn again on each redraw while true (card-answers.js). */
export const releaseAnswers = cardAnswers();

/**
 * On a quarantined factory: why, and the Release button; on one a press released (or found released), the line saying
 * so while the factory is as the answer said, until the page is left; null otherwise.
 * @param {any} f
 * @param {import("./live.js").Live} live
 * @param {() => void} onReleased re-renders once the factory list is fresh
 */
export function quarantinePanel(f, live, onReleased) {
  const status = statusLine();
  status.id = `release-status-${f.id}`;
  // Released by a press, the card is drawn without the panel: the answer's line stays, drawn from what it said, while
  // the factory is as it said — "Released: back in rotation." vanished with the panel at the re-read of the list that
  // followed the release, before it could be read; carried by its id, it then lied under the next quarantine's panel.
  const said = releaseAnswers.shown(f.id, f.status, live.factoriesAt);
  if (said) showError(status, said.error ? said.text : undefined);
  if (said && !said.error) status.textContent = said.text;
  if (f.status !== "quarantined") return said ? status : null;
  const button = h(
    "button",
    {
      type: "button",
      class: "danger",
      id: `release-${f.id}`,
      // Named for its factory: "Release" alone named every quarantined card's button alike for a screen reader.
      "aria-label": `Release ${f.name}`,
      ...busyAttr(releasing.has(f.id)),
      dataset: { testid: "release-factory" },
    },
    "Release",
  );
  // The cards are redrawn every tick: the answer goes to the status line the page shows when it arrives, not to
  // this card's, which a redraw while the request was out has replaced (the refusal was written out of sight).
  const shown = () => /** @type {HTMLElement} */ (document.getElementById(status.id) ?? status);
  /** Says `text` on the line shown now and keeps it for the redraws, while the factory is in `state` ("": any). */
  const say = (/** @type {string} */ text, /** @type {string} */ state, error = false) => {
    releaseAnswers.say(f.id, text, { error, state });
    showError(shown(), error ? text : undefined);
    if (!error) shown().textContent = text;
  };
  /** The Release the card shows now: a redraw while the request was out made it anew. */
  const current = () => /** @type {HTMLButtonElement} */ (document.getElementById(button.id) ?? button);
  button.addEventListener("click", async () => {
    if (releasing.has(f.id)) return;
    releasing.add(f.id);
    // Greyed out while the request is out (aria-disabled: it keeps keyboard focus, busy.js). Released, the card
    // (redrawn) has no button: focus goes to the card's name.
    const giveBack = focusReturn(button, () => document.getElementById(`factory-name-${f.id}`));
    setBusy(button, true);
    say("Releasing…", ""); // while the request is out: a slow answer is not a lost click
    let gone = true;
    try {
      const path = `/factories/${encodeURIComponent(f.id)}/release`;
      const r = await api(live.session, path, { method: "POST", answer: RELEASED });
      // `changed: false`: it was active already (another operator released it a moment ago): nothing was released now.
      say(
        r?.changed === false
          ? "Nothing to release: the factory is active already (released meanwhile?)."
          : "Released: back in rotation.",
        "active",
      );
    } catch (err) {
      const said = refusal(err);
      gone = said.gone;
      // About the quarantine it was refused in, or the status the refusal named (`factoryStatus`).
      say(said.text, said.state, true);
    }
    // Released, here or elsewhere: the card is drawn as the factory now is, without Release. A failed re-read of the
    // list leaves that to the poller's next one: it turned a release that worked into "Not released: …". Busy until
    // then, as the cards are drawn (`releasing`): let go at the answer, a poller's redraw of the list it read before
    // the release drew the card still quarantined with Release armed, and a second press was refused `conflict`.
    try {
      if (gone) await live.reloadFactories().then(onReleased, () => {});
    } finally {
      releasing.delete(f.id);
    }
    setBusy(current(), false);
    giveBack();
  });
  return h(
    "div",
    { class: "quarantine", dataset: { testid: "quarantine" } },
    // Why, as the coordinator recorded it (`statusReason`: the error budget's rate, or "quarantined by alice"); the
    // panel said "its error budget ran out, or an operator took it out" of every quarantine alike.
    h(
      "p",
      { class: "muted" },
      "Quarantined: it gets no new work (",
      h(
        "bdi",
        { dataset: { testid: "status-reason" } },
        f.statusReason ?? "its error budget ran out, or an operator took it out",
      ),
      "). Releasing clears its failure window.",
    ),
    h("div", { class: "row", "data-needs": "operator" }, button), // role.js
    status,
  );
}
