/**
 * @module dashboard/pager
 * The "show more" of a list the API pages: a list read page by page with a button under it that opens one more page
 * per press. The lists that page this way (alerts, serial gates) re-read every page shown at each refresh, so what
 * is shown stays current; a read overtaken by a newer one (a refresh crossing a press) is dropped when it answers.
 */
import { isBusy, setBusy } from "./busy.js";
import { focusReturn, h } from "./dom.js";
import { newestRead } from "./newest-read.js";

/**
 * @typedef {object} Pager
 * @property {number} pages pages the next read reads: the pages shown, one more after a press
 * @property {number} shown pages in the list shown (a failed press leaves the next one asking the same page)
 * @property {HTMLButtonElement} more the button: hidden until a read says more follow
 * @property {() => number} begin a read begins: its number, for `current` and `settle`
 * @property {(asked: number) => boolean} current whether read `asked` may be drawn: no read sent after it has been
 *   drawn (else drop its answer); marks it drawn (newest-read.js)
 * @property {(asked: number) => boolean} last whether no read was sent after `asked` (the one that arms a busy button)
 * @property {() => void} overtake an action's answer came in: every read out is older than it (newest-read.js)
 * @property {(asked: number) => void} settle read `asked` is over, done or failed: the button takes a press again
 */

/**
 * A pager whose button (`id`, `label`) asks `reload` for one more page per press — busy while that read is out
 * (busy.js: it keeps keyboard focus), so a double click reads one page.
 * @param {string} id @param {string} label @param {() => Promise<void>} reload the list's read of `pages` pages
 * @param {import("./dom.js").FocusFallback} [fallback] where focus goes from a pressed button hidden after the last page
 * @returns {Pager}
 */
export function pager(id, label, reload, fallback = null) {
  const reads = newestRead();
  /** Gives keyboard focus back after a press: the last page hides the button, a redraw may replace what follows. */
  let giveBack = () => {};
  /** @type {Pager} */
  const p = {
    pages: 1,
    shown: 1,
    more: h(
      "button",
      {
        type: "button",
        class: "secondary",
        id,
        hidden: true,
        onclick: () => {
          if (isBusy(p.more)) return; // one page per press: armed again when its read is done
          giveBack = focusReturn(p.more, fallback);
          setBusy(p.more, true);
          p.pages = p.shown + 1;
          void reload();
        },
      },
      label,
    ),
    begin: reads.begin,
    current: reads.newest,
    last: reads.last,
    overtake: reads.overtake,
    settle: (asked) => {
      if (!reads.last(asked)) return; // the last read out arms More again, not an older one answering first
      setBusy(p.more, false);
      giveBack();
      giveBack = () => {};
    },
  };
  return p;
}
