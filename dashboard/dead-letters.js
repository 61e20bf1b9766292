// dead-letters.js — the dead letters page (#/dead-letters): what the product could not deliver or process, newest
// first, from GET …/dead-letters (operator): when, source, the code its reason starts with, a summary of its message
// (opened, the message itself), the error and the tries; and on each row the server can send back (dead-letter-text.js
// `notRedrivable`; the others say why not, `[data-testid="dead-letter-no-redrive"]`) Redrive (POST …/dead-letters/{id}/redrive,
// operator: marked `data-needs`, role.js), whose answer is said — sent back to its queue, or why it was refused — and
// the list read again. The API pages by cursor: one page, and "Show older dead letters" (pager.js) for each more. A
// role known to be below operator is told so at once, with no request the server would refuse (as the enrollment
// page does). The redrive itself is dead-letter-redrive.js's. Stable ids for the browser test: #dead-letters-rows,
// [data-testid="dead-letter-row"][data-dead-letter-id], [data-testid="dead-letter-redrive"], #dead-letters-status,
// #dead-letters-more, #dead-letters-refresh.

import { ApiError, describeError } from "./api.js";
import { setBusy } from "./busy.js";
import { redriver } from "./dead-letter-redrive.js";
import { emptyRow, letterRow, lettersTable, readPages, redriveAction } from "./dead-letter-rows.js";
import { notRedrivable } from "./dead-letter-text.js";
import { focusReturn, h, redrawKeepingFocus, renderAges, replace, showLoadError, statusLine } from "./dom.js";
import { pager } from "./pager.js";
import { afterPress } from "./press-hold.js";
import { mayList } from "./role.js";

/** The table's one row while no read has worked (the status line above it says why). */
const NOT_READ = "Not read: the line above says why. Refresh reads the list again.";

/**
 * Render the dead letters page into `root`; returns a cleanup function.
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 */
export function deadLettersView(root, live) {
  let alive = true;
  const status = statusLine();
  status.id = "dead-letters-status";
  status.tabIndex = -1; // focus lands on the outcome when no Redrive is left to go to
  // Until the first read answers: an empty table read as "no dead letters" while the first page was on its way.
  const body = h(
    "tbody",
    { id: "dead-letters-rows" },
    h("tr", null, h("td", { colspan: "7", class: "muted" }, "Loading…")),
  );
  const note = h("p", { class: "muted", id: "dead-letters-partial", hidden: true });
  const refused = h("p", { class: "status error", id: "dead-letters-refused", role: "alert", hidden: true });
  const refresh = h("button", { type: "button", class: "secondary", id: "dead-letters-refresh" }, "Refresh");
  const pg = pager("dead-letters-more", "Show older dead letters", () => load(), status);
  const listHead = h("div", { class: "row" }, h("h2", null, "Newest first"), refresh);
  /** Dead letters whose redrive is out: a redraw (Refresh) drew their Redrive greyed out, not armed again. */
  const redriving = new Set();
  /** A read has drawn the list: until then the table says Loading…, or that it could not be read. */
  let drawn = false;
  /** The dead letters the list shows, by id: their redrive verdict is judged again at each tick (`tick`). */
  let shown = new Map();
  /** @param {any} d @param {number} now */
  const action = (d, now) => redriveAction(d, now, redriving.has(d.id), redrive);
  /** @param {any} d @param {number} now — the action cell is an operator's (role.js), its verdict judged by `tick` */
  const row = (d, now) =>
    letterRow(
      d,
      h(
        "td",
        { "data-needs": "operator", "data-redrive-for": d.id, "data-why": notRedrivable(d, now) },
        action(d, now),
      ),
    );
  const empty = emptyRow;
  const table = lettersTable(body);

  /**
   * Reads the pages shown (one more after a press of Show older). `quiet`: a read after a redrive, whose failure is
   * not said — the line holds the redrive's answer (a 503 with Retry-After holds reads back, and "Cannot load" had
   * replaced why the redrive was refused).
   */
  const load = async (quiet = false) => {
    const asked = pg.begin();
    const giveBack = focusReturn(refresh);
    setBusy(refresh, true); // aria-disabled: a pressed Refresh keeps keyboard focus (busy.js)
    try {
      const read = await readPages(live, pg.pages);
      if (!alive || !pg.current(asked)) return;
      const open = new Set(
        [...body.querySelectorAll("tr:has(details[open])")].map((r) => r.getAttribute("data-dead-letter-id")),
      );
      // Focus stays where it was (a row's Redrive or its message, by `data-focus-key`), and what was opened stays
      // open across a read (its message drawn again).
      shown = new Map(read.items.map((/** @type {any} */ d) => [String(d.id), d]));
      redrawKeepingFocus(body, () => {
        const now = Date.now();
        replace(body, ...(read.items.length ? read.items.map((d) => row(d, now)) : [empty()]));
        for (const id of open)
          body.querySelector(`tr[data-dead-letter-id="${CSS.escape(String(id))}"] details`)?.setAttribute("open", "");
      });
      drawn = true;
      showLoadError(status);
      pg.shown = read.read;
      pg.more.hidden = !read.nextCursor;
      note.hidden = !read.partial;
      note.textContent =
        "D1 could not be read: only the coordinator's dead letters are listed. Refresh once D1 is back.";
    } catch (err) {
      if (!alive || !pg.current(asked)) return;
      if (err instanceof ApiError && err.status === 403 && !err.foreign) return refuse(err); // the role's, not a gateway's
      const what = pg.pages > pg.shown ? "older dead letters" : "dead letters";
      if (!quiet) showLoadError(status, `Cannot load ${what}: ${describeError(err)}`);
      // Never read: the table said "Loading…" for as long as the line above it said the read had failed.
      if (!drawn) replace(body, h("tr", null, h("td", { colspan: "7", class: "muted" }, NOT_READ)));
    } finally {
      pg.settle(asked);
      // Only the last read out arms Refresh: an older one (crossed by a redrive's re-read) armed it while that was out.
      if (alive && pg.last(asked)) {
        setBusy(refresh, false);
        giveBack();
      }
    }
  };

  /** This token may not list dead letters: say so, offer nothing. @param {unknown} [err] the refusal, when asked */
  const refuse = (err) => {
    table.hidden = true;
    listHead.hidden = true;
    pg.more.hidden = true;
    refused.hidden = false;
    const why = err instanceof ApiError ? ` ${err.readable}` : "";
    refused.textContent = `Dead letters are for operators: sign in with an operator token to list or redrive them.${why}`;
  };

  /** Takes dead letter `id`'s row off the list shown; the list says it has none once its last row is gone. @param {string} id */
  const forget = (id) => {
    pg.overtake(); // a read out now was sent before the redrive: drawn, it put the row back (newest-read.js)
    body.querySelector(`tr[data-dead-letter-id="${CSS.escape(id)}"]`)?.remove();
    if (!body.querySelector('[data-testid="dead-letter-row"]')) replace(body, empty());
  };

  const redrive = redriver({ live, body, status, redriving, load, forget, alive: () => alive });

  refresh.addEventListener("click", () => void load());
  replace(
    root,
    h(
      "section",
      { class: "card", id: "dead-letters-panel", "aria-labelledby": "dead-letters-title" },
      h("h1", { id: "dead-letters-title" }, "Dead letters"),
      h(
        "p",
        { class: "muted" },
        "What could not be delivered or processed after its retries. Redrive sends a message back to the queue it " +
          "came from (at least once: its effects are idempotent); a row that cannot be sent back says why instead.",
      ),
      refused,
      listHead,
      note,
      status,
      table,
      pg.more,
    ),
  );
  if (mayList(live.role)) void load();
  else refuse();
  /**
   * Moves the list with the clock at `now`, with no read of its own: the ages ("3 min ago" said so for as long as the
   * page stayed open), and each row's redrive verdict — "Cannot be redriven: it is 8 days old" stayed 8, and a dead
   * letter passing its idempotency key's window while the page was open kept offering Redrive. A row whose verdict
   * changed is drawn anew (focus on its Redrive, gone, goes to the status line); one whose redrive is out is left.
   * @param {number} now epoch ms
   */
  const tick = (now) => {
    renderAges(body, now);
    for (const cell of body.querySelectorAll("td[data-redrive-for]")) {
      const d = shown.get(cell.getAttribute("data-redrive-for") ?? "");
      if (!d || redriving.has(d.id)) continue;
      const why = notRedrivable(d, now);
      if (cell.getAttribute("data-why") === why) continue;
      cell.setAttribute("data-why", why);
      redrawKeepingFocus(cell, () => replace(cell, action(d, now)), status);
    }
  };
  // The list is read when the page opens, on Refresh and after a redrive, not on a timer: it moves with the poller's
  // ticks instead.
  // A row's Redrive redrawn between press and release lost the press: after a press in progress (press-hold.js).
  const ticked = () => tick(Date.now());
  const unsubscribe = live.subscribe(() => afterPress(ticked));
  return () => {
    alive = false;
    unsubscribe();
  };
}
