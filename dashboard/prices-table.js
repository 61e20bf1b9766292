/**
 * @module dashboard/prices-table
 * The settings page's prices editor, drawn (prices.js reads, sends and redraws it): a table with a row per priced
 * engine and its two rates, USD per million tokens read and written — for an operator in number boxes with Save and
 * Remove, for a token that may not edit as text — and, for an operator, the Add row's boxes. Rows carry their engine
 * (`data-engine`), boxes their side and the value drawn (`data-side`, `data-drawn`), buttons their action
 * (`data-action`): prices.js handles every click on the table in one listener, so a redraw loses none.
 */
import { h } from "./dom.js";
import { engineName, MAX_USD_PER_MILLION, priceRows } from "./prices-rules.js";
import { scrollBox } from "./scroll-box.js";

/** A rate box's bounds as core/prices' schema (the page checks them again before sending: prices-rules.js). */
const RATE_ATTRS = { type: "number", min: "0", max: String(MAX_USD_PER_MILLION), step: "any", inputmode: "decimal" };

/** @typedef {{ usdPerMillionIn: number, usdPerMillionOut: number }} Price */

/**
 * What a rate's box is called: "codex: USD per million read" (its label, and the words of its refusals).
 * @param {string} engine @param {"in" | "out"} side
 */
export const rateLabel = (engine, side) =>
  `${engineName(engine)}: USD per million ${side === "in" ? "read" : "written"}`;

/**
 * A rate's box holding `value`, as drawn (`data-drawn`: a box holding other text is the reader's edit).
 * @param {string} engine @param {"in" | "out"} side @param {number} value @returns {HTMLInputElement}
 */
function rateBox(engine, side, value) {
  const box = h("input", {
    ...RATE_ATTRS,
    required: true,
    "aria-label": rateLabel(engine, side),
    dataset: { engine, side, drawn: String(value) },
  });
  box.value = String(value);
  return box;
}

/**
 * One engine's row. @param {string} engine @param {Price} p @param {boolean} mayEdit
 * @returns {HTMLTableRowElement}
 */
export function priceRow(engine, p, mayEdit) {
  const name = h("th", { scope: "row" }, h("bdi", null, engineName(engine)));
  if (!mayEdit)
    return h(
      "tr",
      { dataset: { engine } },
      name,
      h("td", null, String(p.usdPerMillionIn)),
      h("td", null, String(p.usdPerMillionOut)),
    );
  const button = (/** @type {string} */ action, /** @type {string} */ text, /** @type {string} */ cls) =>
    h(
      "button",
      {
        type: "button",
        class: cls,
        "aria-label": `${text} the ${engineName(engine)} price`,
        dataset: { action, focusKey: `price-${action}-${engine}` },
      },
      text,
    );
  return h(
    "tr",
    { dataset: { engine } },
    name,
    h("td", null, rateBox(engine, "in", p.usdPerMillionIn)),
    h("td", null, rateBox(engine, "out", p.usdPerMillionOut)),
    // The buttons in a row of their own: a cell laid out as a flex row left the table's lines out of step.
    h(
      "td",
      { "data-needs": "operator" },
      h("div", { class: "row" }, button("save", "Save", ""), button("remove", "Remove", "danger")),
    ),
  );
}

/**
 * The table's rows for `prices` (the settings' `prices`), or the one row that says none is priced.
 * @param {Record<string, Price> | undefined} prices @param {boolean} mayEdit @returns {HTMLTableRowElement[]}
 */
export function priceRowsOf(prices, mayEdit) {
  const rows = priceRows(prices);
  if (rows.length === 0)
    return [
      h(
        "tr",
        { class: "empty" },
        h("td", { colspan: mayEdit ? "4" : "3" }, "No engine is priced: its tokens with no USD stay unpriced."),
      ),
    ];
  return rows.map(([engine, p]) => priceRow(engine, p, mayEdit));
}

/**
 * The table around `body` (its rows: `priceRowsOf`), in a box that scrolls sideways on a phone.
 * @param {HTMLTableSectionElement} body @param {boolean} mayEdit @returns {HTMLElement}
 */
export function pricesTable(body, mayEdit) {
  return scrollBox(
    "table-wrap",
    "Token prices",
    null,
    h(
      "table",
      { id: "prices-table" },
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          h("th", { scope: "col" }, "Engine"),
          h("th", { scope: "col" }, "USD per million read"),
          h("th", { scope: "col" }, "USD per million written"),
          mayEdit ? h("th", { scope: "col", "data-needs": "operator" }, "Change") : null,
        ),
      ),
      body,
    ),
  );
}

/**
 * The Add row's boxes and button (an operator's): an engine name and its two rates.
 * @returns {{ engine: HTMLInputElement, rateIn: HTMLInputElement, rateOut: HTMLInputElement, add: HTMLButtonElement }}
 */
export function addBoxes() {
  return {
    engine: h("input", {
      type: "text",
      id: "price-new-engine",
      autocomplete: "off",
      spellcheck: "false",
    }),
    rateIn: h("input", { ...RATE_ATTRS, id: "price-new-in" }),
    rateOut: h("input", { ...RATE_ATTRS, id: "price-new-out" }),
    add: h("button", { type: "submit", id: "price-add" }, "Add price"),
  };
}

/**
 * The boxes a refusal's path names (field-error.js `refusalError`): each row's rate box by `prices.<engine>.<rate>`,
 * and when the Add was sent (`adding`) the Add row's boxes by the engine typed.
 * @param {HTMLElement} body the table's rows @param {ReturnType<typeof addBoxes>} add @param {boolean} adding
 * @returns {Record<string, HTMLInputElement>}
 */
export function refusalBoxes(body, add, adding) {
  const typed = add.engine.value.trim();
  /** @type {Array<[string, HTMLInputElement]>} */
  const named = [...body.querySelectorAll("input")].map((b) => [
    `prices.${b.dataset.engine}.${b.dataset.side === "in" ? "usdPerMillionIn" : "usdPerMillionOut"}`,
    b,
  ]);
  if (typed && adding)
    named.push(
      [`prices.${typed}.usdPerMillionIn`, add.rateIn],
      [`prices.${typed}.usdPerMillionOut`, add.rateOut],
      [`prices.${typed}`, add.engine],
    );
  return Object.fromEntries(named);
}
