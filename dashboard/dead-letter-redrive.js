/**
 * @module dashboard/dead-letter-redrive
 * A dead letter's Redrive on the dead letters page (dead-letters.js): POST …/dead-letters/{id}/redrive (operator),
 * its answer said on the page's status line — sent back to its queue, or why it was refused — the row taken off the
 * list once sent, and the list read again when the answer leaves it unsure.
 */

import { REDRIVEN } from "./answers.js";
import { ApiError, api, describeError, outcomeUnknown } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import { redriveAdvice } from "./dead-letter-text.js";
import { focusReturn, showError } from "./dom.js";

/**
 * @typedef {object} RedrivePage what a redrive reads and moves on the page
 * @property {import("./live.js").Live} live
 * @property {HTMLElement} body the list's tbody
 * @property {HTMLElement} status the page's status line
 * @property {Set<string>} redriving dead letters whose redrive is out (their Redrive is drawn busy)
 * @property {(quiet: boolean) => Promise<void>} load reads the list again; `quiet`: its failure is not said
 * @property {(id: string) => void} forget takes a dead letter's row off the list
 * @property {() => boolean} alive the page is still open
 */

/**
 * The Redrive action of the page `p`: `(d, button)` redrives dead letter `d` (its `id`), `button` busy until the list
 * has been read again (or the answer said). Never throws: a failure is said on the status line.
 * @param {RedrivePage} p @returns {(d: any, button: HTMLButtonElement) => Promise<void>}
 */
export function redriver({ live, body, status, redriving, load, forget, alive }) {
  /** The Redrive of dead letter `id` as the list shows it now. @param {string} id */
  const redriveButton = (id) =>
    /** @type {HTMLButtonElement | null} */ (
      body.querySelector(`tr[data-dead-letter-id="${CSS.escape(id)}"] [data-testid="dead-letter-redrive"]`)
    );

  return async (d, button) => {
    if (isBusy(button) || redriving.has(d.id)) return;
    redriving.add(d.id);
    const at = [...body.querySelectorAll('[data-testid="dead-letter-redrive"]')].indexOf(button);
    // Redriven, the row is gone: focus goes to the Redrive now in its place, else to the status line.
    const giveBack = focusReturn(button, () => {
      const left = [...body.querySelectorAll('[data-testid="dead-letter-redrive"]')];
      return /** @type {HTMLElement | undefined} */ (left[Math.min(Math.max(at, 0), left.length - 1)]) ?? status;
    });
    setBusy(button, true);
    showError(status);
    status.textContent = `Redriving ${d.id}…`; // while the request is out: a slow answer is not a lost click
    let reread = true;
    try {
      const r = await api(live.session, `/dead-letters/${encodeURIComponent(d.id)}/redrive`, {
        method: "POST",
        answer: REDRIVEN,
      });
      if (!alive()) return;
      showError(status);
      const sent = r?.redriven === true && typeof r.queue === "string";
      status.textContent = sent
        ? `Redriven ${d.id}: sent back to the ${r.queue} queue, and no longer a dead letter.`
        : `${d.id}: the answer could not be read; the list, read again, shows whether it is still a dead letter.`;
      // Gone from the list now, whatever the read below does: when it failed (a coordinator failing), the row stayed
      // with its Redrive armed, and a second press was refused "not found" under the line that said it was redriven.
      // Focus goes to the outcome with the row, not after the read below: meanwhile it was on nothing (the body), and a
      // keyboard or screen-reader user lost their place for as long as the read took.
      if (sent) {
        forget(d.id);
        giveBack();
      }
    } catch (err) {
      if (!alive()) return;
      const code = err instanceof ApiError ? err.code : "";
      const advice = redriveAdvice(code);
      const said = advice && err instanceof ApiError ? `${err.readable}. ${advice}` : describeError(err);
      showError(status, `Not redriven ${d.id}: ${said}`);
      // Gone meanwhile (404) or no answer to read (it may have been sent): the list says what is true now.
      reread = (err instanceof ApiError && err.status === 404) || outcomeUnknown(err);
    }
    // Busy until the list is read again, as its rows are drawn (`redriving`): let go at the answer, a redraw meanwhile
    // (Show older, a Refresh armed by an earlier read) drew this row's Redrive armed, and a press sent it twice.
    try {
      if (reread) await load(true);
    } finally {
      redriving.delete(d.id);
    }
    if (!alive()) return;
    setBusy(redriveButton(d.id), false);
    setBusy(button, false);
    giveBack();
  };
}
