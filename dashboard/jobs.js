// jobs.js — the jobs table: stage filter chips with counts (job-chips.js), newest first, "load more"
// through nextCursor; refetched when the queue version changes. A refetch reads as many rows as are shown (each
// press of "Load more" asks for PAGE more), page after page: a press is not undone by the next refetch, and the rows
// always come from one read, whose cursor pages never repeat or skip a job. No read older than one drawn draws. A
// row's waiting reason is read again when it can have changed with no version change: its end by time alone, a fleet
// move.

import { JOB_PAGE } from "./answers.js";
import { api, describeError, transient } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import { focusReturn, h, renderAges, replace, STAGES, showLoadError, stageLabel, statusLine } from "./dom.js";
import { stageChips } from "./job-chips.js";
import { jobRow } from "./job-row.js";
import { newestRead } from "./newest-read.js";
import { afterPress } from "./press-hold.js";
import { scrollBox } from "./scroll-box.js";
import { serialPanel } from "./serial.js";
import { readAtWaitEnd, reasonEnds, waitEnd } from "./wait-end.js";

const PAGE = 50;
/** The API's page limit: a refetch of more rows than this reads them in pages of this many. */
const MAX_PAGE = 500;

/**
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 * @param {URLSearchParams} params `stage` filters the table
 */
export function jobsView(root, live, params) {
  const stage = STAGES.includes(params.get("stage") ?? "") ? params.get("stage") : null;
  const session = live.session;
  /** @type {any[]} */
  let jobs = [];
  /** @type {string | undefined} */
  let nextCursor;
  let loading = false;
  /** Rows the reader asked to see: PAGE, and PAGE more per press of "Load more". */
  let wanted = PAGE;
  /** The list's reads, numbered as sent: an older read answering after a newer one is dropped (an older list). */
  const reads = newestRead();
  /** The last re-read failed: the rows are as of an earlier read, so the next tick reads again. */
  let stale = false;
  /** Whether any read of the list worked: until one has, an empty table is not "no jobs". */
  let read = false;

  const chips = stageChips(stage); // built once; ticks only change their counts, so keyboard focus stays put
  const tbody = h("tbody");
  const status = statusLine();
  status.tabIndex = -1; // focus lands here when "Load more" read the last page (and is hidden) or failed
  /** Gives keyboard focus back after a press of "Load more" (the last page hides it; a redraw replaces rows). */
  let giveBack = () => {};
  const more = h(
    "button",
    { type: "button", class: "secondary", hidden: true, onclick: () => loadMore() },
    "Load more",
  );
  const title = stage ? `Jobs · ${stageLabel(stage)}` : "Jobs";
  const gates = serialPanel(session, (id) => live.factoryName(id));
  replace(
    root,
    h(
      "section",
      { "aria-labelledby": "jobs-title" },
      h("h1", { id: "jobs-title", tabindex: "-1" }, title),
      chips.nav,
      scrollBox(
        "table-wrap",
        `${title} table`,
        null,
        h(
          "table",
          { class: "jobs" },
          h("caption", { class: "sr-only" }, `${title}, newest first`),
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "col" }, "Title"),
              h("th", { scope: "col" }, "Stage"),
              h("th", { scope: "col" }, "Priority"),
              h("th", { scope: "col" }, "Attempt"),
              h("th", { scope: "col" }, "Factory"),
              h("th", { scope: "col" }, "Updated"),
            ),
          ),
          tbody,
        ),
      ),
      status,
      more,
      gates.panel,
    ),
  );

  const renderChips = () => chips.render(live);

  // Held while a link or button is pressed (press-hold.js): a read drawing the rows between press and release lost it.
  const renderRows = () => afterPress(drawRows);
  const drawRows = () => {
    // Re-rendering must not throw away keyboard focus on a job's link: kept on the job's, or — the job gone from this
    // read (it moved to another stage, or was purged) — handed to the link now in its place, else the heading.
    const focused = document.activeElement?.closest("tr[data-job]")?.getAttribute("data-job");
    const links = () => [...tbody.querySelectorAll("tr[data-job] a")];
    const at = focused ? links().indexOf(/** @type {Element} */ (document.activeElement)) : -1;
    if (jobs.length === 0 && !loading) {
      replace(
        tbody,
        h(
          "tr",
          null,
          h(
            "td",
            { colspan: 6, class: "empty" },
            !read ? "The jobs could not be read." : stage ? `No ${stageLabel(stage)} jobs.` : "No jobs yet.",
          ),
        ),
      );
    } else {
      replace(tbody, ...jobs.map((j) => jobRow(j, live)));
    }
    if (focused) {
      const link =
        tbody.querySelector(`tr[data-job="${CSS.escape(focused)}"] a`) ??
        links()[Math.min(at, links().length - 1)] ??
        document.getElementById("jobs-title");
      if (link instanceof HTMLElement) link.focus();
    }
    more.hidden = !nextCursor;
  };

  /** @param {number} limit @param {string} [cursor] */
  const fetchPage = (limit, cursor) => {
    // The summary shape (no bodyMd): a page of 500 jobs stays a few hundred KB however long their manifests are.
    const q = new URLSearchParams({ limit: String(limit), fields: "summary" });
    if (stage) q.set("stage", stage);
    if (cursor) q.set("cursor", cursor);
    return api(session, `/jobs?${q}`, { answer: JOB_PAGE });
  };

  /**
   * The first `wanted` rows, in pages of at most MAX_PAGE. A press of "Load more" used to append the page after the
   * cursor it had: a refetch landing meanwhile (new jobs, jobs leaving the filtered stage) put that page under a
   * newer first page, and jobs in between were missing or listed twice.
   */
  const reload = async () => {
    const mine = reads.begin();
    loading = true;
    try {
      // The serial gates first, so the rows know which keys are frozen (serial.js).
      const [first] = await Promise.all([fetchPage(Math.min(MAX_PAGE, wanted)), gates.load()]);
      const rows = [...first.jobs];
      let cursor = first.nextCursor;
      while (cursor && rows.length < wanted && reads.newest(mine)) {
        const page = await fetchPage(Math.min(MAX_PAGE, wanted - rows.length), cursor);
        rows.push(...page.jobs);
        cursor = page.nextCursor;
      }
      if (!reads.newest(mine)) return;
      jobs = rows;
      nextCursor = cursor;
      stale = false;
      read = true;
      showLoadError(status);
    } catch (err) {
      if (!reads.newest(mine)) return;
      stale = transient(err);
      showLoadError(status, describeError(err));
    } finally {
      // Drawn (no newer read drawn first); the last read out alone ends "loading" and arms More again.
      if (reads.newest(mine)) {
        const over = reads.last(mine);
        if (over) loading = false;
        if (over) setBusy(more, false);
        renderRows();
        waitEnds.shown(boardWait(Date.now()));
        if (over) afterPress(giveBack); // to a row drawn: after the rows, when they are held
        if (over) giveBack = () => {};
      }
    }
  };

  /**
   * The earliest end by time alone of the waiting reasons shown (wait-end.js `waitEnd`: a retry's backoff, an
   * exclusion's end, a serial hold's stop bound), as the one instant `readAtWaitEnd` arms for: such an end moves no
   * queue version, so "retrying after its backoff, at 15:02" stood on the board for good after 15:02 on a quiet queue;
   * and the serial gates' (serial.js `endAfter`: "none due (next at 15:02)").
   * @param {number} now epoch ms @returns {number | undefined}
   */
  const earliestEnd = (now) => {
    const ends = [...jobs.map((j) => waitEnd(j, now)), gates.endAfter(now)].filter((t) => t !== undefined);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  };
  /**
   * The board as one job for `readAtWaitEnd`: the earliest end ahead, and the earliest end a row's reason still names
   * though passed by the page's clock — a page ahead of the coordinator's clock read at the end, was answered with the
   * same end, and never read again: "retrying after its backoff" stood (the job page reads such an end again).
   * @param {number} now epoch ms
   */
  const boardWait = (now) => {
    const passed = jobs.flatMap(reasonEnds).filter((t) => t <= now);
    const until = passed.length > 0 ? Math.min(...passed) : undefined;
    return { notBefore: earliestEnd(now), waitingReason: { detail: { until } } };
  };
  const waitEnds = readAtWaitEnd(() => void reload());

  /** One press, one more page: busy (busy.js, keeping focus) until the read it starts (or a newer one) has drawn. */
  const loadMore = () => {
    if (!nextCursor || isBusy(more)) return;
    const before = jobs.length;
    // To the first row the press brought (its link), else "Load more" again, else the status line.
    giveBack = focusReturn(more, () =>
      jobs.length > before
        ? /** @type {HTMLElement | null} */ (
            tbody.querySelectorAll("tr[data-job]")[before]?.querySelector("a") ?? status
          )
        : status,
    );
    setBusy(more, true);
    wanted = jobs.length + PAGE;
    void reload();
  };

  renderChips();
  void reload();
  const unsubscribe = live.subscribe(({ versionChanged, fleetChanged }) => {
    renderChips();
    // A failed re-read is retried at once: waiting for the next version change left a job that moved during it
    // showing its old stage for as long as nothing else moved. A fleet move (a factory with what a job needs enrolled,
    // one back from quarantine) moves no version either: "No capable factory" stood on the board for good after it.
    const waiting = fleetChanged && jobs.some((j) => j.waitingReason);
    if (versionChanged || waiting || (stale && !loading)) void reload();
    // A holder's link lost or back moves no version: its row's badge (job-row.js holderLink) is drawn again.
    else if (fleetChanged && jobs.some((j) => j.holderFactoryId)) renderRows();
    else renderAges(tbody); // between refetches only the "updated … ago" cells change
  });
  return () => {
    unsubscribe();
    waitEnds.stop();
  };
}
