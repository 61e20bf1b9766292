/**
 * @module dashboard/settings-form
 * The settings page's form (settings.js): a box per setting — preemption, overflow, the learned routing's objective,
 * and every number of settings-fields.js FIELDS and settings-health.js HEALTH_GROUPS, each with its label and help —
 * grouped in fieldsets, with the page's lines and Save. Drawn only: reading, filling and saving are settings.js's.
 */

import { h } from "./dom.js";
import { UNREAD } from "./role.js";
import { FIELDS, HEALTH_START } from "./settings-fields.js";
import { HEALTH_GROUPS, OBJECTIVE_CHOICES, OVERFLOW_CHOICES } from "./settings-health.js";

/**
 * The form's boxes, empty: `inputs` the number boxes by their path ("retry.jitter"), `boxes` every box by its path.
 * @returns {{ preemption: HTMLInputElement, overflow: HTMLSelectElement, objective: HTMLSelectElement,
 *   inputs: Map<string, HTMLInputElement>, boxes: import("./settings-reread.js").Boxes }}
 */
export function settingsBoxes() {
  const preemption = h("input", { type: "checkbox", id: "setting-preemption", name: "preemption" });
  const overflow = h(
    "select",
    { id: "setting-overflow", name: "overflow" },
    ...OVERFLOW_CHOICES.map((c) => h("option", { value: c.value }, c.label)),
  );
  const objective = h(
    "select",
    { id: "setting-routing-objective", name: "routing.objective" },
    ...OBJECTIVE_CHOICES.map((c) => h("option", { value: c.value }, c.label)),
  );
  /** @type {Map<string, HTMLInputElement>} */
  const inputs = new Map(
    FIELDS.map((f) => [
      f.path,
      h("input", {
        type: "number",
        id: `setting-${f.path.replace(".", "-")}`,
        name: f.path,
        required: true,
        inputmode: "decimal",
        "aria-describedby": `help-${f.path.replace(".", "-")}`,
        ...f.attrs,
      }),
    ]),
  );
  /** @type {import("./settings-reread.js").Boxes} */
  const boxes = new Map([
    ["preemption", preemption],
    ["overflow", overflow],
    ["routing.objective", objective],
    ...inputs,
  ]);
  return { preemption, overflow, objective, inputs, boxes };
}

/**
 * The settings form around the boxes `made` (by `settingsBoxes`), with the page's `facts`, `aging`, `status` and
 * `elsewhere` lines and `save` (drawn for an operator: data-needs). For a token that may not edit (`mayEdit` false), every box is
 * disabled and the lead line says why, by its `role` (role.js; UNREAD: the role could not be read).
 * @param {{ role: string, mayEdit: boolean, made: ReturnType<typeof settingsBoxes>, facts: HTMLElement,
 *   aging: HTMLElement, status: HTMLElement, elsewhere: HTMLElement, save: HTMLElement }} parts
 * @returns {HTMLFormElement}
 */
export function settingsForm({ role, mayEdit, made: { preemption, overflow, objective, inputs }, ...parts }) {
  const { facts, aging, status, elsewhere, save } = parts;
  const field = (/** @type {(typeof FIELDS)[number]} */ f) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: inputs.get(f.path)?.id }, f.label),
      inputs.get(f.path),
      h("small", { class: "muted", id: `help-${f.path.replace(".", "-")}` }, f.help),
    );
  const form = h(
    "form",
    { class: "settings card", "aria-labelledby": "settings-title", novalidate: true },
    h("h1", { id: "settings-title" }, "Settings"),
    h(
      "p",
      { class: "muted" },
      `How the coordinator governs this product. ${
        mayEdit
          ? "Saving needs an operator token."
          : role === UNREAD // not a viewer's: whether it may save is not known (the header's marker says why)
            ? "Read-only: the token's role could not be read."
            : "Read-only: changing them needs an operator token."
      }`,
    ),
    h(
      "div",
      { class: "field" },
      h(
        "label",
        { for: "setting-preemption" },
        preemption,
        " Preemption: a critical job may stop a lower-priority one",
      ),
    ),
    h("fieldset", null, h("legend", null, "Leases and aging"), ...FIELDS.slice(0, 2).map(field)),
    h("fieldset", null, h("legend", null, "Retries"), ...FIELDS.slice(2, 5).map(field)),
    h("fieldset", null, h("legend", null, "Router weights"), ...FIELDS.slice(5, HEALTH_START).map(field)),
    h("div", { class: "field" }, h("label", { for: "setting-overflow" }, "Overflow when a breaker is open"), overflow),
    h(
      "div",
      { class: "field" },
      h("label", { for: "setting-routing-objective" }, "Learned routing optimises"),
      objective,
    ),
    ...HEALTH_GROUPS.map((g) =>
      h("fieldset", null, h("legend", null, g.legend), ...g.fields.map((f) => field(/** @type {any} */ (f)))),
    ),
    facts,
    aging,
    status,
    elsewhere,
    h("div", { class: "row", "data-needs": "operator" }, save),
  );
  // A viewer reads the values; the boxes that hold them take no edits it could never save (Save is not drawn). This
  // stays `disabled`, not busy.js's aria-disabled: it is the role's for the whole page, set before anything can hold
  // focus (no focus to lose), and `disabled` keeps the boxes out of the Tab order, their edits from the page, and says
  // "unavailable" to a screen reader — aria-disabled would leave them typeable.
  if (!mayEdit) for (const el of form.querySelectorAll("input, select")) el.setAttribute("disabled", "");
  return /** @type {HTMLFormElement} */ (form);
}
