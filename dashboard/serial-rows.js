/**
 * @module dashboard/serial-rows
 * The serial-gates panel's table (serial.js reads and acts): a row per key with its holder, queue, next job and state,
 * and its operator's button — Unfreeze for a frozen key, "Freeze…" (fills the panel's key box) for an open one.
 */

import { busyAttr } from "./busy.js";
import { h, when } from "./dom.js";
import { holderCell, nextCell } from "./serial-cells.js";

/**
 * A gate's row.
 * @param {any} g a SerialGate (src/core/serial-gates.ts)
 * @param {{ busy: boolean, unfreeze: () => void, askFreeze: () => void, name?: (id: string) => string }} acts `busy`:
 *   a freeze or unfreeze is out (Unfreeze drawn greyed out, busy.js); `name`: a factory by id (serial-cells.js)
 */
export const gateRow = (g, { busy, unfreeze, askFreeze, name }) =>
  h(
    "tr",
    { dataset: { serialKey: g.key } },
    h("td", { class: "mono" }, g.key),
    h("td", null, holderCell(g, name)),
    h("td", { class: "num" }, String(g.queueLength)),
    h("td", null, nextCell(g)),
    h(
      "td",
      null,
      g.frozen
        ? h(
            "span",
            { title: when(g.frozen.at) },
            h("span", { class: "badge status-quarantined" }, "frozen"),
            ` ${g.frozen.by}: ${g.frozen.reason}`,
          )
        : "open",
    ),
    h(
      "td",
      { "data-needs": "operator" }, // Unfreeze and Freeze… (role.js)
      g.frozen
        ? h(
            "button",
            {
              type: "button",
              class: "secondary",
              // Named for the key: "Unfreeze" alone named every row's button alike for a screen reader.
              "aria-label": `Unfreeze ${g.key}`,
              "data-focus-key": `unfreeze:${g.key}`,
              ...busyAttr(busy),
              onclick: unfreeze,
            },
            "Unfreeze",
          )
        : h(
            "button",
            {
              type: "button",
              class: "secondary",
              "aria-label": `Freeze ${g.key}…`,
              "data-focus-key": `freeze:${g.key}`,
              onclick: askFreeze,
            },
            "Freeze…",
          ),
    ),
  );

/**
 * The table of `keys` (or the line saying there is none), each row drawn by `row`.
 * @param {any[]} keys SerialGates @param {(g: any) => Element} row
 */
export const gatesTable = (keys, row) =>
  keys.length === 0
    ? h("p", { class: "empty" }, "No serial key has a holder, a queue or a freeze.")
    : h(
        "table",
        { class: "serial" },
        h("caption", { class: "sr-only" }, "Serial keys"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ...["Key", "Holder", "Queued", "Next", "State"].map((t) => h("th", { scope: "col" }, t)),
            // An empty header names nothing; the column is an operator's (role.js), as its buttons.
            h("th", { scope: "col", "data-needs": "operator" }, h("span", { class: "sr-only" }, "Action")),
          ),
        ),
        h("tbody", null, ...keys.map(row)),
      );
