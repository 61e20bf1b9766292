// breaker-reset.js — on a factory card of the fleet map, a Reset breaker button per breaker that holds work (open, or
// half-open): it POSTs …/factories/{id}/breakers/{engine}/reset, for an engine the operator knows is fixed (its login
// renewed, a rate limit lifted), so its jobs need not wait out a cool-down that doubles on each failed trial. As the
// quarantine's Release (fleet-breakers.js): operators only (`data-needs="operator"`, role.js), greyed out while out
// and until the re-read list draws the card anew, the answer on a status line drawn again on each redraw while the
// breaker is as it said (card-answers.js). Stable
// ids for the browser test: `reset-breaker-<factoryId>-<engine>` (engine `*` as `default`), `reset-status-<factoryId>`.

import { BREAKER_RESET } from "./answers.js";
import { api, describeError } from "./api.js";
import { busyAttr, setBusy } from "./busy.js";
import { cardAnswers } from "./card-answers.js";
import { focusReturn, h, showError, statusLine } from "./dom.js";

/** The engine as people read it: `*` is the factory's default engine (jobs that name none). */
const engineName = (/** @type {string} */ e) => (e === "*" ? "default engine" : e);

/**
 * What each factory's last Reset was answered, drawn again on each redraw while its breaker is as the answer said
 * (card-answers.js; about its engine, the state `<engine> closed` after a reset, `<engine> holding` for a refusal).
 */
export const resetAnswers = cardAnswers();

/**
 * A factory's breakers as card-answers states: which engine's breaker holds work ("codex holding") or not — one
 * engine's, the answer's, is compared. @param {string[]} holding engines @param {string} engine
 */
const stateOf = (holding, engine) => `${engine} ${holding.includes(engine) ? "holding" : "closed"}`;

/** `factoryId engine` of the resets out: drawn greyed out until answered and the card redrawn (a second press). */
const resetting = new Set();

/**
 * The Reset breaker buttons of a factory whose breakers hold work, with their status line; null when none does.
 * @param {any} f a factory as GET …/factories lists it, with `breakers: [{engine, state, …}]`
 * @param {import("./live.js").Live} live
 * @param {() => void} onReset re-renders once the factory list is fresh
 */
export function breakerResetPanel(f, live, onReset) {
  const holding = (Array.isArray(f.breakers) ? f.breakers : []).filter(
    (/** @type {any} */ b) => b.state === "open" || b.state === "half_open",
  );
  const engines = holding.map((/** @type {any} */ b) => String(b.engine));
  // Closed by a press, the card is drawn without buttons: the answer's line stays, drawn from what it said, while that
  // breaker is as it said, so "Reset: … closed" is read rather than vanishing with the button — and is not said under
  // the same breaker's Reset once it opened again (carried by its id, it was).
  const said = resetAnswers.shown(f.id, (a) => stateOf(engines, a.about), live.factoriesAt);
  if (holding.length === 0 && !said) return null;
  const status = statusLine();
  status.id = `reset-status-${f.id}`;
  if (said) showError(status, said.error ? said.text : undefined);
  if (said && !said.error) status.textContent = said.text;
  // The cards are redrawn every tick: the answer goes to the status line the page shows when it arrives.
  const shown = () => /** @type {HTMLElement} */ (document.getElementById(status.id) ?? status);
  const buttons = holding.map((/** @type {any} */ b) => resetButton(f, b.engine, live, shown, onReset));
  return h(
    "div",
    { class: "breaker-reset", dataset: { testid: "breaker-reset" } },
    buttons.length > 0 ? h("div", { class: "row", "data-needs": "operator" }, ...buttons) : null, // role.js
    status,
  );
}

/**
 * One breaker's Reset button.
 * @param {any} f @param {string} engine @param {import("./live.js").Live} live
 * @param {() => HTMLElement} shown the status line on the page now @param {() => void} onReset
 */
function resetButton(f, engine, live, shown, onReset) {
  const key = `${f.id} ${engine}`;
  const name = engineName(engine);
  const button = h(
    "button",
    {
      type: "button",
      id: `reset-breaker-${f.id}-${engine === "*" ? "default" : engine}`,
      // Named for its factory and engine: "Reset" alone named every card's buttons alike for a screen reader.
      "aria-label": `Reset the ${name} breaker of ${f.name}`,
      ...busyAttr(resetting.has(key)),
      dataset: { testid: "reset-breaker", engine },
    },
    `Reset ${name} breaker`,
  );
  /** The button the card shows now: a redraw while the request was out made it anew. */
  const current = () => /** @type {HTMLButtonElement} */ (document.getElementById(button.id) ?? button);
  /** Says `text` on the line shown now and keeps it for the redraws, while this breaker is `state` ("": any). */
  const say = (/** @type {string} */ text, /** @type {string} */ state, error = false) => {
    resetAnswers.say(f.id, text, { error, state, about: engine });
    showError(shown(), error ? text : undefined);
    if (!error) shown().textContent = text;
  };
  button.addEventListener("click", async () => {
    if (resetting.has(key)) return;
    resetting.add(key);
    // Closed, the card (redrawn) has no button: focus goes to the card's name.
    const giveBack = focusReturn(button, () => document.getElementById(`factory-name-${f.id}`));
    setBusy(button, true);
    say(`Resetting the ${name} breaker…`, ""); // a slow answer is not a lost click
    try {
      const path = `/factories/${encodeURIComponent(f.id)}/breakers/${encodeURIComponent(engine)}/reset`;
      const r = await api(live.session, path, { method: "POST", answer: BREAKER_RESET });
      // `changed: false`: closed already (another operator's reset, or its trial's success, a moment ago).
      say(
        r?.changed === false
          ? `Nothing to reset: the ${name} breaker is closed already.`
          : `Reset: the ${name} breaker is closed; its jobs may run here again.`,
        `${engine} closed`,
      );
      // Drawn as the factory now is, without the button; a failed re-read is left to the poller's next one.
      await live.reloadFactories().then(onReset, () => {});
    } catch (err) {
      say(`Not reset: ${describeError(err)}`, `${engine} holding`, true);
    } finally {
      resetting.delete(key);
    }
    setBusy(current(), false);
    giveBack();
  });
  return button;
}
