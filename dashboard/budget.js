// budget.js — the product budget page (#/budget): spend against the ceiling this UTC period, its state, a burndown
// chart drawn by uPlot (vendor/uPlot.esm.js: a canvas time series) with the 80 % warning line and the 100 % ceiling,
// Pause / Resume buttons and a small form to set the budget (budget-form.js; operators: not drawn for a viewer,
// role.js; the server refuses anyone else and the refusal is shown). Spend moves with run reports, not with the queue
// version, so the page polls GET …/budget while it is open. Stable ids and data-testid attributes let a browser test
// read the spend and press the buttons.

import { BUDGET, BUDGET_ACTED } from "./answers.js";
import { api, describeError } from "./api.js";
import { burndownChart } from "./budget-chart.js";
import { budgetForm } from "./budget-form.js";
import { budgetNextStep, spentSinceText } from "./budget-next.js";
import { budgetReader } from "./budget-read.js";
import { estimatedText, unpricedText } from "./budget-unpriced.js";
import { armGroup, setBusy } from "./busy.js";
import { focusReturn, h, heldOutcome, replace, showLoadError, showReadNote, statusLine, utcBoundary } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";
import { newestRead } from "./newest-read.js";
import { can } from "./role.js";
import { spendTexts, usdTexts } from "./usd.js";

/** How often the open page re-reads the budget: spend arrives with progress reports, seconds apart. */
const POLL_MS = 5000;
/**
 * What an action's outcome is about: a read with other terms ends it (heldOutcome). "Budget saved." is about the terms
 * set (an exhaustion pause later leaves them in force), "Paused: …" or "Resumed: …" about who pauses dispatch.
 */
const setTerms = (/** @type {any} */ b) => [b.period, b.ceilingUsd, b.onExhausted].join(" ");
const pauseTerms = (/** @type {any} */ b) => b.pausedBy ?? "";

/**
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 */
export function budgetView(root, live) {
  let alive = true;
  /** @type {any} */
  let current = null;
  /** With no budget set: `{ pausedBy? }`, an operator's pause alone (budget-read.js); null once a budget is read. */
  /** @type {{ pausedBy?: string } | null} */
  let unset = null;
  const status = statusLine();
  status.tabIndex = -1; // focus lands on the outcome when the pressed button is greyed out by it (Pause once paused)
  status.id = "budget-status";
  status.dataset.testid = "budget-status";
  const [saved, toggled] = [heldOutcome(status), heldOutcome(status)];
  const spent = h("strong", { id: "budget-spent", "data-testid": "budget-spent" }, "—");
  const ceiling = h("strong", { id: "budget-ceiling", "data-testid": "budget-ceiling" }, "—");
  const state = h("span", { id: "budget-state", class: "badge", "data-testid": "budget-state" }, "—");
  // Shown once a budget is read: with none set it said "Spent — of — —" above "No budget is set".
  const facts = h("p", { class: "budget-facts", hidden: true }, "Spent ", spent, " of ", ceiling, " ", state);
  const period = h("span", { id: "budget-period", class: "muted" });
  // The spend's estimated part and the tokens no USD came for this period (budget-unpriced.js); hidden at none.
  const unpriced = h("p", { id: "budget-unpriced", "data-testid": "budget-unpriced", class: "muted", hidden: true });
  // What lifts the pause in force, or until when dispatch runs over the ceiling (budget-next.js); empty otherwise.
  const next = h("p", { id: "budget-next", "data-testid": "budget-next", hidden: true });
  const plot = h("div", { id: "budget-chart", "data-testid": "budget-chart", class: "budget-chart" });
  const chart = burndownChart(plot, () => current?.ceilingUsd ?? 0);
  /** Pause or Resume: greyed out until a read says which the state allows. @param {string} id @param {string} label */
  const stateButton = (id, label) =>
    h("button", { type: "button", id: `budget-${id}`, "data-testid": `budget-${id}`, disabled: true }, label);
  const pause = stateButton("pause", "Pause");
  const resume = stateButton("resume", "Resume");
  const setForm = budgetForm();
  const { form, periodIn, ceilingIn, modeIn, save } = setForm;

  // An action out greys out every button, whatever a poll draws meanwhile: a double click on Resume sent two, and the
  // second lifted the exhaustion pause the first leaves in force on purpose — dispatch ran past the ceiling.
  let busy = false;
  // Busy is aria-disabled (busy.js): the pressed button keeps keyboard focus while its request is out.
  const armAll = () => {
    // With no budget set, Pause and Resume act on an operator's pause alone: an emergency stop needs no ceiling.
    const known = current !== null || unset !== null;
    const paused = current ? current.state === "paused" : unset ? unset.pausedBy === "operator" : true;
    armGroup(
      [
        [pause, { busy, off: !known || paused }],
        [resume, { busy, off: !known || !paused }],
      ],
      [status],
    );
    setBusy(save, busy);
  };

  /** @param {any} b */
  const draw = (b) => {
    current = b;
    unset = null;
    facts.hidden = false;
    // Read side by side, so with shared decimals: $0.037 of $0.03 warning at $0.024, not $0.04 of $0.03 at $0.02 —
    // the spend as the waiting reason words it (usd.js spendTexts), the warning level beside the ceiling.
    const [spentText, ceilingText] = spendTexts(b.spentUsd, b.ceilingUsd);
    const [warnText] = usdTexts([b.warnAtUsd, b.ceilingUsd]);
    const [, estText] = usdTexts([b.spentUsd, b.estimatedUsd ?? 0]);
    spent.textContent = spentText;
    ceiling.textContent = ceilingText;
    state.textContent = b.pausedBy
      ? `paused (${b.pausedBy === "operator" ? "by an operator" : "exhausted"})`
      : b.state === "overrun"
        ? "overrun (over the ceiling by an operator's resume)"
        : b.state;
    state.className = `badge budget-${b.state}`;
    state.dataset.state = b.state;
    next.textContent = budgetNextStep(b, can(live.role, "operator")); // a viewer has no buttons: ask one
    next.hidden = next.textContent === "";
    unpriced.textContent = [estimatedText(b, () => estText), unpricedText(b)].filter(Boolean).join(" · ");
    unpriced.hidden = unpriced.textContent === "";
    const since = spentSinceText(b); // since when the spend counts: a budget set mid-period counts from then
    period.textContent = `per ${b.period}, ${utcBoundary(b.periodStart)} → ${utcBoundary(b.periodEnd)}${since ? ` · ${since}` : ""} · warns at ${warnText} · at 100 %: ${b.onExhausted}`;
    armAll();
    setForm.show(b); // unless the operator has a draft: budget-form.js
    chart.draw(b);
  };

  /**
   * Numbered by every read, overtaken by every action: a poll that was in flight when Pause or Resume answered must not draw
   * its older state over the new one (the page would show `warning` after a pause until the next poll).
   */
  const reads = newestRead();
  // A read's word (dom.js showReadNote): said once, and never over the set form's refusal or an action's outcome.
  const none = "No budget is set for this product";
  /** @param {{ pausedBy?: string }} u the pause in force with no budget set, if any */
  const noBudget = (u = {}) => {
    unset = u;
    const operator = can(live.role, "operator");
    const paused = u.pausedBy === "operator";
    showReadNote(
      status,
      `${none}${paused ? "; dispatch is paused by an operator" : ""}${operator ? ": set one below." : "."}`,
    );
    next.textContent = paused ? budgetNextStep({ pausedBy: "operator", spentUsd: 0, ceilingUsd: 1 }, operator) : "";
    next.hidden = next.textContent === "";
    armAll();
  };
  const reader = budgetReader(live.session);
  const load = () => {
    const mine = reads.begin();
    return reader.read().then(
      (b) => {
        if (!alive || !reads.newest(mine)) return;
        if (b.budget === null) return noBudget(b);
        reader.saw();
        draw(b);
        showReadNote(status, ""); // "Loading…", or "No budget is set" until one set elsewhere was read
        showLoadError(status);
        saved.read(setTerms(b));
        toggled.read(pauseTerms(b));
      },
      (err) => {
        // An overtaken read's failure is not the page's news either: a poll out when Pause answered, failing after
        // (a 503 mid-action), wrote "Cannot load the budget" over "Paused", as if the pause had not worked.
        if (!alive || !reads.newest(mine)) return;
        if (err?.status === 404 && !err.foreign)
          noBudget(); // another server's 404 says nothing of a budget
        else showLoadError(status, `Cannot load the budget: ${describeError(err)}`);
      },
    );
  };

  /** @param {string} path @param {string} done @param {any} [body] @param {string} [method]
   * @param {(b: any) => string | undefined} [say] the message for this answer, when it is not `done` */
  const act = async (path, done, body, method = "POST", say = () => undefined) => {
    if (busy) return;
    // The pressed button keeps focus while out (busy.js); the outcome takes it when the answer greys the button out
    // for good (Pause once paused). Set budget is a form's submit.
    const pressed = document.activeElement;
    const giveBack = focusReturn(pressed instanceof HTMLButtonElement ? pressed : save, status);
    busy = true;
    armAll();
    try {
      reads.overtake();
      const answer = method === "PUT" ? BUDGET : BUDGET_ACTED;
      const b = await api(live.session, path, { method, answer, ...(body ? { body } : {}) });
      if (!alive) return;
      reads.overtake(); // and at the answer: a poll sent while the action was out says what was true before it
      if (b.budget === null) {
        // No budget set: the operator's pause alone, said in the status and the next step (noBudget).
        noBudget(b);
        toggled.say(say(b) ?? done, pauseTerms(b));
        return;
      }
      if (method === "PUT") setForm.saved(); // the form shows the budget as it now is, and follows it again
      reader.saw();
      draw(b);
      // The budget as it now is: a failed read said beside a refusal is over.
      if (method === "PUT") saved.say(say(b) ?? done, setTerms(b));
      else toggled.say(say(b) ?? done, pauseTerms(b));
    } catch (err) {
      // A box the coordinator refused (a ceiling past its bounds) is marked and focused, as the form's own refusal.
      const boxes = { period: periodIn, ceilingUsd: ceilingIn, onExhausted: modeIn };
      if (alive) refusalError(err, status, `${describeError(err)}`, boxes);
    } finally {
      busy = false;
      armAll();
      if (alive) giveBack();
    }
  };
  // `changed: false`: the action found nothing to do (a stale page) and the server wrote nothing; said as such.
  pause.addEventListener("click", () =>
    act("/budget/pause", "Paused: no new dispatch until resumed.", undefined, "POST", (b) =>
      b.changed === false ? "Already paused by an operator." : undefined,
    ),
  );
  resume.addEventListener("click", () =>
    act("/budget/resume", "Resumed: dispatch continues.", undefined, "POST", (b) =>
      // Resume lifts one pause: an operator's over an exhausted budget leaves the exhaustion pause in force.
      b.changed === false
        ? "Already running: the budget was not paused."
        : b.pausedBy === "exhausted"
          ? "Operator's pause lifted; still paused by exhaustion (resume again to run over the ceiling)."
          : undefined,
    ),
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const ceilingUsd = Number(ceilingIn.value);
    if (ceilingIn.value.trim() === "" || !Number.isFinite(ceilingUsd))
      return fieldError(ceilingIn, status, "Ceiling: enter a number of dollars");
    act("/budget", "Budget saved.", { period: periodIn.value, ceilingUsd, onExhausted: modeIn.value }, "PUT");
  });

  replace(
    root,
    h(
      "section",
      { class: "budget card", "aria-labelledby": "budget-title" },
      h("h1", { id: "budget-title" }, "Budget"),
      facts,
      unpriced,
      period,
      next,
      plot,
      h("div", { class: "row", "data-needs": "operator" }, pause, resume),
      status,
      form,
    ),
  );
  showReadNote(status, "Loading…");
  load();
  const timer = setInterval(load, POLL_MS);
  return () => {
    alive = false;
    clearInterval(timer);
    chart.destroy();
  };
}
