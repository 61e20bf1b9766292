/**
 * @module dashboard/prices
 * The settings page's prices editor (settings.js places it): the operator's price per engine for tokens no USD came
 * for (core/prices; the Budget page and the runs list show the estimate it makes) — read with the settings, each row's
 * rates changed (Save, or Enter in a rate box: only the rates changed) or its price removed (Remove, asked first), an
 * engine not priced yet added with both rates; each one PATCH …/settings of
 * `prices` alone, checked first as the API checks it (prices-rules.js), the table then drawn from the server's answer,
 * not from what was typed. A viewer sees the rates as text, no boxes or buttons (a token whose role is unknown gets the
 * server's refusal). The page's later reads draw prices changed elsewhere, keeping an edit and the box being typed in.
 */
import { SETTINGS } from "./answers.js";
import { api, outcomeUnknown, writeFailure } from "./api.js";
import { setBusy } from "./busy.js";
import { focusReturn, h, heldOutcome, replace, showError, statusLine } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";
import { engineName, engineProblem, parseRate, pricesTerms, priceText } from "./prices-rules.js";
import { addBoxes, priceRowsOf, pricesTable, rateLabel, refusalBoxes } from "./prices-table.js";

/**
 * The editor. `read(prices)` draws a read of the settings' `prices` (not while a request of its own is out: `busy()`);
 * `reads.overtake()` is called as each request goes out (a read sent before it answers with what it replaced).
 * @param {{ session: any, mayEdit: boolean, reads: { overtake: () => void }, alive: () => boolean }} page
 * @returns {{ element: HTMLElement, read: (prices: any) => void, busy: () => boolean }}
 */
export function pricesEditor({ session, mayEdit, reads, alive }) {
  const body = h("tbody");
  const status = statusLine();
  status.id = "prices-status";
  // "Saved: …" holds while its engine's price is as saved: a read finding that one changed elsewhere takes it away
  // (status-text) — held against the whole table, a change to another engine took it away too.
  const saved = heldOutcome(status);
  /** The engine the held "Saved: …" is about. */
  let savedEngine = "";
  /** @param {any} prices @param {string} engine what `prices` says of `engine`'s price, as one string */
  const priceTerms = (prices, engine) => JSON.stringify(Object.hasOwn(prices ?? {}, engine) ? prices[engine] : null);
  const elsewhere = statusLine();
  elsewhere.id = "prices-elsewhere";
  const add = addBoxes();
  /** The table as last drawn, from a read or an answer; null before the first read. @type {string | null} */
  let shown = null;
  let out = false;

  /** Every rate box holding text other than drawn: the reader's edits, by "engine side". */
  const editsOf = () =>
    new Map(
      [...body.querySelectorAll("input")]
        .filter((b) => b.value !== b.dataset.drawn)
        .map((b) => [`${b.dataset.engine} ${b.dataset.side}`, b]),
    );

  /**
   * Draws `prices`, putting the reader's edits back in their engines' boxes (but those of `answered`, whose edits the
   * answer holds); the row whose box is being typed in stays the very row (its caret, a number half typed: "1e").
   * @param {any} prices @param {string} [answered] the engine a Save or Remove was about
   */
  const draw = (prices, answered) => {
    const edits = editsOf();
    const active = document.activeElement;
    const typingRow =
      active instanceof HTMLInputElement &&
      edits.get(`${active.dataset.engine} ${active.dataset.side}`) === active &&
      active.dataset.engine !== answered
        ? active.closest("tr")
        : null;
    const rows = priceRowsOf(prices, mayEdit).map((row) => {
      const engine = row.dataset.engine;
      if (engine === undefined || engine === answered) return row;
      for (const box of row.querySelectorAll("input")) {
        const edit = edits.get(`${engine} ${box.dataset.side}`);
        if (edit) box.value = edit.value;
      }
      if (typingRow?.getAttribute("data-engine") !== engine) return row;
      // The row typed in is kept; its boxes learn what is drawn now (the other box shows it, when not edited).
      for (const [old, now] of [...typingRow.querySelectorAll("input")].map((b, i) => [
        b,
        row.querySelectorAll("input")[i],
      ])) {
        if (!old || !now) continue;
        if (old !== active && !edits.has(`${engine} ${old.dataset.side}`)) old.value = now.dataset.drawn ?? "";
        old.dataset.drawn = now.dataset.drawn;
      }
      return typingRow;
    });
    replace(body, ...rows);
    shown = pricesTerms(prices);
  };

  /**
   * Sends `change` (the PATCH's `prices`), `button` busy meanwhile, and draws the answer's table; says `said` of it.
   * @param {Record<string, any>} change @param {HTMLElement} button @param {string} engine
   * @param {(prices: any) => string} said what the answer says, worded from the answer
   */
  const send = async (change, button, engine, said) => {
    if (out) return;
    out = true;
    // A removed row takes its button away: focus goes to the Add row's engine box (the status line takes none).
    const giveBack = focusReturn(button, add.engine);
    const buttons = [...element.querySelectorAll("button")];
    for (const b of buttons) setBusy(b, true);
    reads.overtake(); // a read sent before this answers with the table it replaced: dropped (settings.js)
    showError(status);
    status.textContent = "Saving prices…"; // a slow answer is not a lost click
    try {
      const next = await api(session, "/settings", { method: "PATCH", body: { prices: change }, answer: SETTINGS });
      if (!alive()) return;
      draw(next.prices, engine);
      showError(elsewhere);
      savedEngine = engine;
      saved.say(said(next.prices ?? {}), priceTerms(next.prices, engine));
      if (button === add.add) for (const box of [add.engine, add.rateIn, add.rateOut]) box.value = "";
    } catch (err) {
      if (!alive()) return;
      // A rate the coordinator refused (`body.prices.codex.usdPerMillionIn`) is marked at its box.
      refusalError(err, status, writeFailure(err, "Not saved"), refusalBoxes(body, add, button === add.add));
      // The PATCH may have landed (no answer): the table as the coordinator holds it now, the refusal's line kept.
      if (outcomeUnknown(err))
        await api(session, "/settings", { answer: SETTINGS }).then(
          (s) => alive() && draw(s.prices),
          () => {},
        );
    } finally {
      out = false;
      for (const b of element.querySelectorAll("button")) setBusy(b, false);
      giveBack();
    }
  };

  /**
   * A row's rates changed from what was drawn (`data-drawn`), refused at their box when one is not a rate the API
   * takes. Only those: PATCH merges rate by rate (core/prices), and a rate sent as drawn put back another operator's
   * change of it made since this page's read. `{}` when none changed; undefined when one was refused.
   * @param {HTMLElement} row @returns {Record<string, number> | undefined}
   */
  const ratesOf = (row) => {
    const engine = row.dataset.engine ?? "";
    /** @type {Record<string, number>} */
    const rates = {};
    for (const box of row.querySelectorAll("input")) {
      const side = box.dataset.side === "in" ? "in" : "out";
      const r = parseRate(box.value, rateLabel(engine, side));
      if (!r.ok) return void fieldError(box, status, r.why);
      if (r.rate === Number(box.dataset.drawn)) continue; // "1.0" for a drawn 1 is no change either
      rates[side === "in" ? "usdPerMillionIn" : "usdPerMillionOut"] = r.rate;
    }
    return rates;
  };

  body.addEventListener("click", (ev) => {
    const button = ev.target instanceof Element ? ev.target.closest("button[data-action]") : null;
    const row = button?.closest("tr");
    if (!(button instanceof HTMLElement) || !row || out || button.getAttribute("aria-disabled") === "true") return;
    const engine = row.dataset.engine ?? "";
    const name = engineName(engine);
    // Asked first, as a job's Cancel is: its tokens with no USD go unpriced, uncounted in a USD budget's estimate.
    if (button.dataset.action === "remove" && !confirm(`Remove the price of ${name}? Its tokens go unpriced.`)) {
      showError(status);
      status.textContent = `Kept the price of ${name}.`;
      return;
    }
    if (button.dataset.action === "remove")
      return void send(
        { [engine]: null },
        button,
        engine,
        () => `Removed the price of ${name}: its tokens stay unpriced.`,
      );
    const rates = ratesOf(row);
    if (!rates) return;
    if (Object.keys(rates).length === 0) {
      showError(status);
      status.textContent = "Nothing changed."; // no request: the row holds what was drawn
      return;
    }
    send({ [engine]: rates }, button, engine, (p) =>
      Object.hasOwn(p, engine) ? `Saved: ${name} at ${priceText(p[engine])}.` : `Saved: ${name} has no price.`,
    );
  });

  // Enter in a rate box saves its row, as Enter in the form's boxes submits the form (the rows are in no form).
  body.addEventListener("keydown", (ev) => {
    if (ev.key !== "Enter" || !(ev.target instanceof HTMLInputElement)) return;
    ev.preventDefault();
    /** @type {HTMLElement | null | undefined} */ (
      ev.target.closest("tr")?.querySelector('[data-action="save"]')
    )?.click();
  });

  const addForm = h(
    "form",
    { class: "row prices-add", "data-needs": "operator", novalidate: true, "aria-label": "Add a price" },
    ...[
      [add.engine, "Engine"],
      [add.rateIn, "USD per million read"],
      [add.rateOut, "USD per million written"],
    ].map(([box, words]) => h("div", { class: "field" }, h("label", { for: box.id }, words), box)),
    add.add,
  );
  addForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (out) return;
    const engine = add.engine.value.trim();
    const bad = engineProblem(engine);
    if (bad) return fieldError(add.engine, status, bad);
    // Priced already: an Add replaced both its rates (and drew over its row's open edit) unasked.
    if (body.querySelector(`tr[data-engine="${CSS.escape(engine)}"]`))
      return fieldError(add.engine, status, `Engine: ${engineName(engine)} is priced already: change its row.`);
    const rateIn = parseRate(add.rateIn.value, "USD per million read");
    if (!rateIn.ok) return fieldError(add.rateIn, status, rateIn.why);
    const rateOut = parseRate(add.rateOut.value, "USD per million written");
    if (!rateOut.ok) return fieldError(add.rateOut, status, rateOut.why);
    const name = engineName(engine);
    void send({ [engine]: { usdPerMillionIn: rateIn.rate, usdPerMillionOut: rateOut.rate } }, add.add, engine, (p) =>
      Object.hasOwn(p, engine) ? `Saved: ${name} at ${priceText(p[engine])}.` : `Not priced: ${name}.`,
    );
  });

  const element = h(
    "section",
    { class: "settings card", id: "prices", "aria-labelledby": "prices-title" },
    h("h2", { id: "prices-title" }, "Token prices"),
    h(
      "p",
      { class: "muted" },
      "USD per million tokens, per engine (* is the default engine of jobs that name none): the tokens an engine " +
        "reports no USD for are charged at its price, as an estimate, until its own USD comes. An engine with no " +
        `price leaves them unpriced. ${mayEdit ? "Changing them needs an operator token." : "Read-only: changing them needs an operator token."}`,
    ),
    pricesTable(body, mayEdit),
    mayEdit ? addForm : null,
    status,
    elsewhere,
  );

  return {
    element,
    busy: () => out,
    read(prices) {
      if (out) return;
      const terms = pricesTerms(prices);
      saved.read(priceTerms(prices, savedEngine));
      // Nothing changed since the last draw: a change said elsewhere is old news (it stayed on at every read after).
      if (terms === shown) return void showError(elsewhere);
      const first = shown === null;
      draw(prices);
      if (!first)
        elsewhere.textContent = "Prices changed elsewhere since this page read them: the table shows them now.";
    },
  };
}
