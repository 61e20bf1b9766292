/**
 * @module dashboard/budget-form
 * The budget page's set form (budget.js): period (UTC), ceiling (USD) and what happens at 100 %, sent with PUT
 * …/budget by the page (operators: data-needs, role.js). It shows the budget as set until the operator changes a
 * field; from then on it holds their draft, which no poll overwrites, until a save.
 */

import { h } from "./dom.js";

/**
 * The form and its boxes: `show(b)` draws budget `b` (GET …/budget's answer) in the boxes unless the operator has a
 * draft; `saved()` ends the draft (the boxes follow the budget again).
 * @returns {{ form: HTMLFormElement, periodIn: HTMLSelectElement, ceilingIn: HTMLInputElement,
 *   modeIn: HTMLSelectElement, save: HTMLButtonElement, show: (b: any) => void, saved: () => void }}
 */
export function budgetForm() {
  const periodIn = h(
    "select",
    { id: "budget-set-period", name: "period" },
    ...["day", "week", "month"].map((p) => h("option", { value: p }, p)),
  );
  const ceilingIn = h("input", {
    type: "number",
    id: "budget-set-ceiling",
    name: "ceilingUsd",
    min: "0.01",
    step: "any",
    required: true,
  });
  const modeIn = h(
    "select",
    { id: "budget-set-mode", name: "onExhausted" },
    h("option", { value: "pause" }, "pause: running jobs finish"),
    h("option", { value: "stop" }, "stop: running jobs stop, checkpoint kept"),
  );
  const save = h("button", { type: "submit", class: "primary", id: "budget-save" }, "Set budget");
  const form = h(
    "form",
    { id: "budget-set", class: "row", novalidate: true, "data-needs": "operator" },
    h("label", { for: "budget-set-period" }, "Period (UTC)"),
    periodIn,
    h("label", { for: "budget-set-ceiling" }, "Ceiling (USD)"),
    ceilingIn,
    h("label", { for: "budget-set-mode" }, "At 100 %"),
    modeIn,
    save,
  );

  /** The operator has changed a field of the set form since it was last saved (or shown): see `show`. */
  let drafted = false;
  const draft = () => {
    drafted = true;
  };
  form.addEventListener("input", draft);
  form.addEventListener("change", draft);

  /** @param {any} b */
  const show = (b) => {
    // The form shows the budget as set until the operator changes a field: from then on it is their draft, which a
    // poll must not overwrite — it did, every 5 s, so a mode chosen (stop) or a ceiling typed and tabbed away from
    // reverted to the server's before Set budget was pressed, and the save sent the old values back ("Budget saved.").
    if (drafted) return;
    periodIn.value = b.period;
    if (document.activeElement !== ceilingIn) ceilingIn.value = String(b.ceilingUsd);
    modeIn.value = b.onExhausted;
  };
  const saved = () => {
    drafted = false;
  };
  return {
    form: /** @type {HTMLFormElement} */ (form),
    periodIn: /** @type {HTMLSelectElement} */ (periodIn),
    ceilingIn: /** @type {HTMLInputElement} */ (ceilingIn),
    modeIn: /** @type {HTMLSelectElement} */ (modeIn),
    save: /** @type {HTMLButtonElement} */ (save),
    show,
    saved,
  };
}
