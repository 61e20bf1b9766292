/**
 * @module dashboard/serial
 * Serial gates on the board: a panel listing every serial key with a holder, a queue or a freeze (GET
 * …/serial), freeze / unfreeze buttons with a reason (operators: not drawn for a viewer, role.js; the server refuses
 * anyone else), and the
 * "frozen" badge the jobs table puts on a job a freeze holds back (waiting to run with a frozen key). The panel
 * reads a page of keys; while the API answers a `nextCursor`, "Show more keys" (#serial-more) opens the next one,
 * and #serial-cut says how many keys are shown of a longer list.
 */

import { CHANGED, FROZEN_KEYS, SERIAL_PAGE } from "./answers.js";
import { api, describeError, writeFailure } from "./api.js";
import { setBusy } from "./busy.js";
import { BYTE_LIMITS, byteLimited } from "./byte-limit.js";
import {
  focusReturn,
  h,
  heldOutcome,
  redrawKeepingFocus,
  replace,
  showError,
  showLoadError,
  statusLine,
} from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";
import { counted } from "./format.js";
import { pager } from "./pager.js";
import { pressOver } from "./press-hold.js";
import { scrollBox } from "./scroll-box.js";
import { frozenKeys } from "./serial-cells.js";
import { keyToFreeze, serialKeyRefusal, serialPath } from "./serial-key.js";
import { gateRow, gatesTable } from "./serial-rows.js";

/** Keys per read: the API's most. More pages are read only when the operator asks (#serial-more). */
const PAGE = 200;

/**
 * The serial-gates panel; `load()` refreshes it (and the frozen-key set the board reads).
 * @param {import("./api.js").Session} session
 * @param {(id: string) => string} [name] a factory by id as the page names it (live.js factoryName)
 */
export function serialPanel(session, name = (id) => id) {
  const status = statusLine("serial-status");
  status.tabIndex = -1; // focus lands on the outcome when the pressed row button is drawn no more (Unfreeze)
  // "k is frozen" holds while k is: a read finding it unfrozen (or frozen) elsewhere takes it away (heldOutcome).
  const said = heldOutcome(status);
  /** The key the held answer is about. */
  let saidKey = "";
  const list = scrollBox("table-wrap", "Serial keys table", null);
  const key = h("input", { id: "serial-key", type: "text", placeholder: "serial key" });
  const reason = h("input", { id: "serial-reason", type: "text", placeholder: "reason" });
  // The server's limits are UTF-8 bytes, and so are these boxes' (a maxlength counted characters).
  const keyLimit = byteLimited(key, BYTE_LIMITS.serialKey, "name");
  const reasonLimit = byteLimited(reason, BYTE_LIMITS.freezeReason);
  const cut = h("p", { class: "muted", id: "serial-cut", hidden: true });
  const pg = pager("serial-more", "Show more keys", () => load(), status);
  /** The gates listed by the last read: their ends by time alone are the board's to read at (`endAfter`). */
  /** @type {any[]} */
  let listed = [];
  /** The keys the panel lists now: the key box sends one of them exactly (`keyToFreeze`). */
  const shown = new Set();
  const freezeButton = h(
    "button",
    {
      type: "button",
      class: "danger",
      onclick: () => void act(keyToFreeze(key.value, shown), "freeze", reason.value.trim()),
    },
    "Freeze",
  );
  const panel = h(
    "section",
    { class: "panel serial-gates", "aria-labelledby": "serial-title" },
    h("div", { class: "panel-head" }, h("h2", { id: "serial-title" }, "Serial gates")),
    list,
    cut,
    pg.more,
    h(
      "div",
      { class: "actions", "data-needs": "operator" },
      h("div", { class: "note" }, h("label", { for: "serial-key" }, "Key"), key, keyLimit.counter),
      h("div", { class: "note" }, h("label", { for: "serial-reason" }, "Reason"), reason, reasonLimit.counter),
      h("div", { class: "buttons" }, freezeButton),
    ),
    status,
  );

  /**
   * A freeze or unfreeze is out: Freeze and every Unfreeze are greyed out until it is answered, also on a list redrawn
   * meanwhile. A double click sent two: the second's answer ("already frozen", or a refusal) replaced the first's.
   */
  let busy = false;
  /** Grey out (or arm again) the buttons that send. */
  const arm = () => {
    setBusy(freezeButton, busy); // aria-disabled: the pressed button keeps keyboard focus (busy.js)
    const unfreezes = /** @type {NodeListOf<HTMLButtonElement>} */ (
      list.querySelectorAll('[data-focus-key^="unfreeze:"]')
    );
    for (const b of unfreezes) setBusy(b, busy);
  };

  /** @param {string} k @param {"freeze" | "unfreeze"} what @param {string} why */
  const act = async (k, what, why) => {
    if (busy) return;
    // Only what the boxes hold is checked (and marked): a listed key (Unfreeze) is the server's own.
    if (!k) return fieldError(key, status, "name the serial key");
    if (what === "freeze" && !why) return fieldError(reason, status, "say why the key is frozen");
    if (what === "freeze") {
      const notKey = serialKeyRefusal(k);
      if (notKey)
        return fieldError(key, status, `freeze not sent: ${JSON.stringify(k)} is not a serial key: ${notKey}`);
      const keyOver = keyLimit.problem();
      if (keyOver) return fieldError(key, status, `freeze not sent: the key is ${keyOver}`);
      const reasonOver = reasonLimit.problem();
      if (reasonOver) return fieldError(reason, status, `freeze not sent: the reason is ${reasonOver}`);
    }
    const pressed = document.activeElement;
    const giveBack = pressed instanceof HTMLButtonElement ? focusReturn(pressed, status) : () => {};
    busy = true;
    arm();
    showError(status, "");
    status.textContent = `${what}…`;
    try {
      const g = await api(session, `${serialPath(k)}/${what}`, {
        method: "POST",
        body: why ? { reason: why } : {},
        answer: CHANGED,
      });
      // The key in its own <bdi>: a right-to-left override in it must not draw "is open" backwards.
      const outcome = `${g.changed === false ? "already " : ""}${what === "freeze" ? "frozen" : "open"}`;
      saidKey = k;
      said.say(`${k} is ${outcome}`, what === "freeze" ? "frozen" : "open");
      replace(status, h("bdi", null, k), ` is ${outcome}`); // the same words, the key isolated

      reason.value = "";
      reasonLimit.problem(); // the counter follows the emptied box
      pg.overtake(); // a read out now was sent before the change: drawn before the re-read, it put the key back
      await load();
    } catch (err) {
      refusalError(err, status, writeFailure(err, `${what} refused`), { reason }); // marked when refused
    } finally {
      busy = false;
      arm();
      giveBack(); // to the button pressed, or to the outcome when an Unfreeze's row now offers "Freeze…"
    }
  };

  /** The panel's row of gate `g` (serial-rows.js): Unfreeze sends, "Freeze…" fills the key box and asks the reason. */
  const row = (/** @type {any} */ g) =>
    gateRow(g, {
      busy,
      name,
      unfreeze: () => void act(g.key, "unfreeze", ""),
      askFreeze: () => {
        key.value = g.key;
        keyLimit.problem();
        reason.focus();
      },
    });

  /** Reads the pages shown (one, and one more per press), and the frozen keys: the whole set, cut list or not. */
  const load = async () => {
    const asked = pg.begin();
    try {
      /** By key, in the API's order: a key moving between pages between two reads is listed once. */
      const byKey = new Map();
      /** @type {string | undefined} */
      let cursor;
      let n = 0;
      for (; n < pg.pages && (n === 0 || cursor); n++) {
        const q = new URLSearchParams({ limit: String(PAGE), ...(cursor ? { cursor } : {}) });
        const page = await api(session, `/serial?${q}`, { answer: SERIAL_PAGE });
        for (const g of page.keys) if (!byKey.has(g.key)) byKey.set(g.key, g);
        cursor = page.nextCursor;
      }
      /** @type {any[]} */
      const keys = [...byKey.values()];
      // A cut list lacks the frozen keys sorted after it: the settings carry every one (≤ MAX_FROZEN_KEYS, 100),
      // read only then — an uncut list holds every key with a freeze already.
      const frozen = cursor
        ? (await api(session, "/settings", { answer: FROZEN_KEYS })).frozenSerialKeys
        : keys.filter((g) => g.frozen).map((g) => g.key);
      await pressOver(); // a Freeze or Open redrawn by the board's read between press and release lost it (press-hold.js)
      if (!pg.current(asked)) return;
      showLoadError(status);
      frozenKeys.clear();
      for (const k of frozen) frozenKeys.add(k);
      said.read(frozenKeys.has(saidKey) ? "frozen" : "open");
      shown.clear();
      for (const g of keys) shown.add(g.key);
      listed = keys;
      pg.shown = n;
      pg.more.hidden = !cursor;
      cut.hidden = !cursor;
      cut.textContent = cursor ? `Showing the first ${counted(keys.length, "key")}; more follow.` : "";
      // Redrawn on every board refresh (each queue version): keyboard focus on a row's button stays on it (it fell
      // to the page's top), or lands on the outcome when an Unfreeze made the row's button a "Freeze…".
      redrawKeepingFocus(list, () => drawList(keys), status);
    } catch (err) {
      if (pg.current(asked)) showLoadError(status, describeError(err));
    } finally {
      pg.settle(asked);
    }
  };

  /** @param {any[]} keys the gates to list */
  const drawList = (keys) => replace(list, gatesTable(keys, row));

  /**
   * The earliest instant (epoch ms) after `now` at which a listed gate changes by time alone — a key's next due job
   * (`nextDueAt`: "none due (next at 15:02)"), a stopping holder's bound (`stopping.until`) — or undefined: nothing
   * moves a queue version then, so the board reads at it (jobs.js).
   * @param {number} now epoch ms @returns {number | undefined}
   */
  const endAfter = (now) => {
    const ends = listed
      .flatMap((g) => [g.nextDueAt, g.stopping?.until])
      .filter((t) => typeof t === "number" && t > now);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  };

  return { panel, load, endAfter };
}
