// settings.js — the product's settings page (#/settings): preemption, lease TTL, aging horizon, retry backoff and
// router weights, read with GET …/settings and saved with one PATCH of only what changed (operator; a viewer sees
// the values, read-only, and no Save — role.js; a token whose role is unknown gets the server's refusal). Every field
// is a plain input (drawn by settings-form.js); errors come back as problem+json and are shown as they are, naming
// the field. No inline script or style (the page's CSP forbids them). Read again every REREAD_MS while open
// (settings-reread.js): a change made elsewhere is shown and said, and takes away a "Saved: …" it contradicts. The
// token prices have an editor of their own below the form (prices.js), drawn from the same reads.

import { SETTINGS } from "./answers.js";
import { api, describeError, outcomeUnknown, writeFailure } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import { focusReturn, h, heldOutcome, replace, showError, showLoadError, showReadNote, statusLine } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";
import { newestRead } from "./newest-read.js";
import { pricesEditor } from "./prices.js";
import { can } from "./role.js";
import { FIELDS, patchFrom, read } from "./settings-fields.js";
import { settingsBoxes, settingsForm } from "./settings-form.js";
import { boxValues, drawChanged, REREAD_MS, termsOf } from "./settings-reread.js";

/**
 * Render the settings page into `root`; returns a cleanup function.
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 */
export function settingsView(root, live) {
  let alive = true;
  const mayEdit = can(live.role, "operator");
  /** @type {any} */
  let current = null;
  const status = statusLine();
  status.id = "settings-status";
  // "Saved: …" holds while the settings it saved are as saved: a read finding them changed elsewhere takes it away.
  const saved = heldOutcome(status);
  /** @type {string[]} the paths the held "Saved: …" is about */ let savedPaths = [];
  /** What a read found changed elsewhere, on a line of its own: a save's answer still true stays beside it. */
  const elsewhere = statusLine();
  elsewhere.id = "settings-elsewhere";
  const made = settingsBoxes();
  const { preemption, overflow, objective, inputs, boxes } = made;
  /** The boxes as the last read or save drew them: one holding other is the reader's edit. */
  let drawn = new Map();
  const save = h("button", { type: "submit", class: "primary", id: "settings-save", disabled: true }, "Save");
  const facts = h("p", { class: "muted", id: "settings-facts" });
  const aging = h("p", { class: "muted", id: "settings-aging" });
  const form = settingsForm({ role: live.role, mayEdit, made, facts, aging, status, elsewhere, save });
  // The PATCHes this page sends, numbered as sent (the form's and the prices editor's): a form's answer holds the
  // `prices` as they were when it was applied, and drawn after the answer to a prices Save sent later it put the old
  // price back ("changed elsewhere"). `pricesSent`: the number of the last prices PATCH.
  let writes = 0;
  let pricesSent = 0;
  // Its own PATCH of `prices` overtakes the reads out as a Save does (`reads`, made below, when it is sent).
  const overtake = {
    overtake: () => {
      reads.overtake();
      pricesSent = ++writes;
    },
  };
  const prices = pricesEditor({ session: live.session, mayEdit, reads: overtake, alive: () => alive });

  /**
   * @param {any} s @param {Element} [keep] a box left as it is: the one being typed in (settings-reread drawChanged)
   * @param {number} [sent] the number of the PATCH `s` answers (`writes`): its prices are not drawn when a prices
   * PATCH went out after it (that one's answer is newer)
   */
  const fill = (s, keep, sent = Number.POSITIVE_INFINITY) => {
    current = s;
    if (sent > pricesSent) prices.read(s.prices);
    const before = drawn;
    if (preemption !== keep) preemption.checked = Boolean(s.preemption);
    if (overflow !== keep) overflow.value = s.overflow === "hold" ? "hold" : "route";
    if (objective !== keep)
      objective.value = s.routing?.objective === "success_per_minute" ? "success_per_minute" : "success_per_usd";
    for (const f of FIELDS) if (inputs.get(f.path) !== keep) inputs.get(f.path).value = String(read(s, f.path));
    const frozen = s.frozenSerialKeys?.length ? s.frozenSerialKeys.join(", ") : "none";
    facts.textContent = `Frozen serial keys: ${frozen} · Dispatch ${s.budgetPaused ? "paused (the Budget page says by whom)" : "running"}`;
    // The aging guarantee this starvation weight and horizon give (src/core/aging.ts): said when it is off.
    aging.textContent = s.aging ? `Aging: ${s.aging.message}` : "";
    aging.className = s.aging && !s.aging.holds ? "status error" : "muted";
    save.disabled = false;
    drawn = boxValues(boxes);
    // The box left as it is still holds the reader's edit: what the page drew there stays what it drew.
    for (const [p, b] of boxes) if (b === keep) drawn.set(p, before.get(p));
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!current) return;
    /** @type {Map<string, unknown>} */
    const values = new Map([
      ["preemption", preemption.checked],
      ["overflow", overflow.value],
      ["routing.objective", objective.value],
    ]);
    for (const f of FIELDS) {
      const input = inputs.get(f.path);
      const n = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(n)) {
        fieldError(input, status, `${f.label}: enter a number`);
        return;
      }
      values.set(f.path, n);
    }
    const patch = patchFrom(current, values);
    const paths = [...values.keys()].filter((p) => read(current, p) !== values.get(p));
    if (Object.keys(patch).length === 0) {
      showError(status);
      status.textContent = "Nothing changed.";
      return;
    }
    // Greyed out while the PATCH is out, keeping keyboard focus (busy.js); giveBack covers a redraw meanwhile.
    const giveBack = focusReturn(save);
    setBusy(save, true);
    reads.overtake(); // a read sent before this Save would answer with what it replaced: dropped (`reread`)
    const mine = ++writes;
    showError(status);
    status.textContent = "Saving…"; // while the request is out: a slow answer is not a lost click
    try {
      const next = await api(live.session, "/settings", { method: "PATCH", body: patch, answer: SETTINGS });
      if (!alive) return;
      fill(next, undefined, mine);
      setBusy(save, false);
      showError(elsewhere); // what it said is in the boxes the answer drew
      savedPaths = paths;
      saved.say(`Saved: ${Object.keys(patch).join(", ")}.`, termsOf(next, paths));
      giveBack();
    } catch (err) {
      if (!alive) return;
      // A setting the coordinator refused is marked and focused (its path is the box's, breaker.failureThreshold).
      refusalError(err, status, writeFailure(err, "Not saved"), Object.fromEntries(inputs));
      // Busy until the settings are read back: armed at the refusal, a press meanwhile sent the PATCH again (from the
      // settings as first read) before the page could say whether the first had landed.
      if (outcomeUnknown(err)) await readBack(values, Object.keys(patch), paths);
      setBusy(save, false);
      giveBack();
    }
  });

  /**
   * After a Save whose answer never came (the PATCH may have landed): read the settings, and when they hold every
   * value the form sent, say it was saved and show them. The page reads its settings only when opened, so "look at
   * the outcome on the page" had nothing to look at. Otherwise the refusal's line stays.
   * @param {Map<string, unknown>} values the form's values as sent @param {string[]} keys the settings the PATCH named
   * @param {string[]} paths the paths it sent
   */
  const readBack = async (values, keys, paths) => {
    // Sent after the PATCHes numbered so far: its prices are older than those of a prices PATCH sent after it.
    const sent = writes + 0.5;
    try {
      const s = await api(live.session, "/settings", { answer: SETTINGS });
      if (!alive || Object.keys(patchFrom(s, values)).length > 0) return;
      fill(s, undefined, sent);
      savedPaths = paths;
      saved.say(`Saved: ${keys.join(", ")} (its answer was lost; read back from the coordinator).`, termsOf(s, paths));
    } catch {
      // Not read either: the refusal's line stays, and says to look before saving again.
    }
  };

  /**
   * The first read, and one every REREAD_MS on the poller's ticks (not while a Save is out: its answer is the read) —
   * settings changed elsewhere are drawn in every box the reader has not edited, and said; a failed read says so.
   */
  let lastRead = Date.now();
  // Reads numbered as sent, a Save overtaking every read out: one slower than REREAD_MS is still out when the next is
  // sent, and answering after it, it drew the older settings over the newer and said the newer had "changed
  // elsewhere"; its failure, after the newer read was drawn, said "Cannot load settings" over current values.
  const reads = newestRead();
  const reread = async () => {
    lastRead = Date.now();
    const mine = reads.begin();
    try {
      const s = await api(live.session, "/settings", { answer: SETTINGS });
      if (!alive || isBusy(save) || prices.busy() || !reads.newest(mine)) return;
      showLoadError(status);
      saved.read(termsOf(s, savedPaths));
      prices.read(s.prices);
      if (current !== null) return drawChanged(current, s, { boxes, drawn, fill, line: elsewhere });
      showReadNote(status, ""); // "Loading…" (or the first read's failure) is over
      fill(s);
    } catch (err) {
      if (alive && reads.newest(mine)) showLoadError(status, `Cannot load settings: ${describeError(err)}`);
    }
  };
  replace(root, form, prices.element);
  // A read's word (status-text showReadNote): its failure is said over it, not beside it as beside an action's words.
  showReadNote(status, "Loading…");
  void reread();
  const unsubscribe = live.subscribe(() => {
    if (Date.now() - lastRead >= REREAD_MS && !isBusy(save) && !prices.busy()) void reread();
  });
  return () => {
    alive = false;
    unsubscribe();
  };
}
