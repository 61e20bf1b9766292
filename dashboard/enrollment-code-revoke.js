/**
 * @module dashboard/enrollment-code-revoke
 * A listed enrollment code's Revoke on the enrollment codes page (enrollment-codes.js): the row's action cell asks
 * first ("Yes, revoke" / Keep, Escape as Keep), then DELETE …/factories/enrollment-codes/{id} (operator), its answer
 * said on the page's status line, the list read again, and focus moved to the next code's Revoke.
 */

import { CODE_REVOKED } from "./answers.js";
import { api, outcomeUnknown, writeFailure } from "./api.js";
import { busyAttr, isBusy, setBusy } from "./busy.js";
import { h, replace, showError } from "./dom.js";

/**
 * @typedef {object} RevokePage what a revoke reads and moves on the page
 * @property {import("./live.js").Live} live
 * @property {HTMLElement} body the list's tbody
 * @property {HTMLElement} status the page's status line
 * @property {{ revoked: (id: string) => void, submit: HTMLElement }} creator the New code form (enrollment-code-new.js)
 * @property {() => Promise<void>} load reads the list again
 * @property {() => boolean} alive the page is still open
 */

/**
 * The Revoke of the page `p`: `actions(c)` is the action cell of listed code `c` (an EnrollmentCodeListed).
 * @param {RevokePage} p @returns {{ actions: (c: any) => HTMLTableCellElement }}
 */
export function codeRevoker({ live, body, status, creator, load, alive }) {
  /**
   * Codes whose revoke is out, until the list is read again: their Revoke is drawn busy. A redraw meanwhile (Refresh,
   * the read after a New code) drew it armed, and Revoke, "Yes, revoke" sent a second DELETE, whose "already revoked:
   * nothing changed" replaced the first one's answer.
   * @type {Set<string>}
   */
  const revoking = new Set();

  /** The row's action cell: Revoke, then (pressed) the question with "Yes, revoke" and Keep. @param {any} c */
  const actions = (c) => {
    const cell = h("td", { class: "code-actions", "data-needs": "operator" }); // role.js
    const ask = () => {
      const yes = h(
        "button",
        { type: "button", class: "danger small", "data-testid": "code-revoke-confirm" },
        "Yes, revoke",
      );
      const keep = h("button", { type: "button", class: "secondary small", "data-testid": "code-revoke-keep" }, "Keep");
      yes.addEventListener("click", () => void revoke(c.id, yes, keep));
      const back = () => {
        offer();
        cell.querySelector("button")?.focus();
      };
      keep.addEventListener("click", back);
      // Escape answers the question as Keep does, as it closes any dialog: the code stays, focus back on Revoke.
      cell.addEventListener("keydown", (ev) => {
        if (ev.key !== "Escape" || isBusy(keep) || !cell.contains(keep)) return;
        ev.preventDefault();
        back();
      });
      replace(cell, h("span", null, "Revoke it? A host holding it can no longer enroll. "), yes, " ", keep);
      // The safe answer first: Enter pressed twice by mistake keeps the code.
      keep.focus();
    };
    const offer = () =>
      replace(
        cell,
        h(
          "button",
          {
            type: "button",
            class: "danger small",
            "data-testid": "code-revoke",
            "aria-label": `Revoke ${c.id}`,
            ...busyAttr(revoking.has(c.id)),
            onclick: ask,
          },
          "Revoke",
        ),
      );
    offer();
    return cell;
  };

  /**
   * Revoke code `id`; both answers busy while the request is out (a double click sends one DELETE). Focus then
   * goes to the next code's Revoke (or the previous one's, or New code when none is left): the row it was on is gone.
   * @param {string} id @param {HTMLButtonElement} yes @param {HTMLButtonElement} keep
   */
  const revoke = async (id, yes, keep) => {
    if (isBusy(yes) || revoking.has(id)) return;
    revoking.add(id);
    setBusy(yes, true); // aria-disabled: the pressed answer keeps keyboard focus (busy.js)
    setBusy(keep, true);
    const at = [...body.querySelectorAll('[data-testid="code-row"]')].findIndex(
      (r) => r.getAttribute("data-code-id") === id,
    );
    try {
      const r = await api(live.session, `/factories/enrollment-codes/${encodeURIComponent(id)}`, {
        method: "DELETE",
        answer: CODE_REVOKED,
      });
      if (!alive()) return;
      creator.revoked(id);
      showError(status);
      status.textContent = r.changed
        ? `Revoked ${id}: it can no longer enroll a factory.`
        : `${id} was already ${r.state}: nothing changed.`;
      await load().finally(() => revoking.delete(id));
    } catch (err) {
      if (!alive()) return;
      showError(status, writeFailure(err, "Not revoked"));
      // Pruned after use or expiry: its row goes. No answer to read: it may be revoked all the same, and the list says
      // — busy until it has.
      if (err?.status === 404 || outcomeUnknown(err)) await load();
      revoking.delete(id);
      if (!alive()) return;
      setBusy(yes, false);
      setBusy(keep, false);
      const drawn = body.querySelector(`tr[data-code-id="${CSS.escape(id)}"] [data-testid="code-revoke"]`);
      setBusy(drawn, false); // a redraw meanwhile drew the row anew, its Revoke busy
      (yes.isConnected ? yes : drawn instanceof HTMLElement ? drawn : creator.submit).focus();
      return;
    }
    if (!alive()) return;
    const left = [...body.querySelectorAll('[data-testid="code-revoke"]')];
    const next = left[Math.min(Math.max(at, 0), left.length - 1)];
    (next instanceof HTMLElement ? next : creator.submit).focus();
  };

  return { actions };
}
