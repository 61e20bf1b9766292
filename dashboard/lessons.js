/**
 * @module dashboard/lessons
 * The lessons journal page (#/lessons, issue 9 item 7): the product's lessons newest first from GET …/lessons
 * (what engines are told before a job: automatic ones from dead letters, review rejections, breaker trips, budget
 * stops and quarantines; operators' own), filtered by source, with an add form (its Add: lesson-add.js) and an
 * Archive button per lesson for operators (the server refuses anyone else, and the page says so). The list is read a
 * page at a time: "Show older lessons" (#lessons-more, shown while the API answers a `nextCursor`) appends the next
 * page. Stable ids:
 * #lessons-list, #lessons-more, #lesson-text, #lesson-caps, #lesson-engine, #lesson-serial, #lesson-add,
 * #lessons-status, rows carry data-lesson-id.
 */

import { CHANGED, LESSON_PAGE } from "./answers.js";
import { api, describeError, writeFailure } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import {
  focusReturn,
  h,
  redrawKeepingFocus,
  renderAges,
  replace,
  showError,
  showLoadError,
  statusLine,
} from "./dom.js";
import { addLesson } from "./lesson-add.js";
import { lessonForm } from "./lesson-form.js";
import { lessonRow, lessonsTable } from "./lesson-rows.js";
import { scrollBox } from "./scroll-box.js";

/** Lessons per read: the API's most. An older page is read only when the operator asks (#lessons-more). */
const PAGE = 200;

/**
 * @param {HTMLElement} root
 * @param {import("./live.js").Live} live
 * @returns {() => void} cleanup
 */
export function lessonsView(root, live) {
  let alive = true;
  const status = statusLine();
  status.id = "lessons-status";
  status.tabIndex = -1; // focus lands on the outcome when the pressed button is gone (the last lesson archived)
  const list = scrollBox("table-wrap", "Lessons table", { id: "lessons-list" });
  const source = h(
    "select",
    { id: "lessons-source", onchange: () => void load() },
    h("option", { value: "" }, "all"),
    h("option", { value: "auto" }, "automatic"),
    h("option", { value: "operator" }, "operators'"),
  );
  // Archived lessons are listed apart, each with Restore: an archive was final on this page (the CLI has restore).
  const shown = h(
    "select",
    { id: "lessons-shown", onchange: () => void load() },
    h("option", { value: "" }, "in use"),
    h("option", { value: "only" }, "archived"),
  );
  const inArchive = () => shown.value === "only";
  const parts = lessonForm();
  const { form } = parts;

  /**
   * Lessons added on this page that D1 does not list yet: GET …/lessons reads D1, which the coordinator's outbox
   * fills a moment after the POST answers, so a list re-read at once would drop the operator's new lesson.
   * @type {any[]}
   */
  let pending = [];
  /**
   * Ids archived (true) or restored (false) on this page: D1 may list them as they were a moment longer (the same
   * outbox), and they must not come back to the list they left. @type {Map<string, boolean>}
   */
  const moved = new Map();
  /**
   * Ids whose archive is out: their Archive is drawn busy until the answer. The list is redrawn meanwhile (an older
   * page read, the filter changed, a lesson added) and the row drawn anew offered an armed Archive: a second PATCH.
   */
  const archiving = new Set();
  /** What D1 listed, newest first: the first page and every older one asked for since. @type {any[]} */
  let listed = [];
  /** Where the next older page starts; undefined once the oldest lesson is listed. @type {string | undefined} */
  let nextCursor;
  /** Pages of the list read: the first and each older one asked for since. A Refresh reads as many again. */
  let pagesRead = 0;
  /** Bumped by each first-page read (the filter changed, Refresh): an older page asked for before it is dropped. */
  let generation = 0;
  let readFailed = false; // the list's last read failed: an action's answer reads it again (rereadIfFailed)
  const refresh = h("button", { type: "button", class: "secondary", id: "lessons-refresh" }, "Refresh");
  const more = h(
    "button",
    { type: "button", class: "secondary", id: "lessons-more", hidden: true, onclick: () => void load(true) },
    "Show older lessons",
  );

  const render = () => {
    pending = pending.filter((p) => !listed.some((l) => l.id === p.id));
    const added = source.value === "auto" || inArchive() ? [] : pending;
    const items = [...added, ...listed].filter((l) => (moved.get(l.id) ?? inArchive()) === inArchive());
    const none = inArchive() ? "No archived lessons." : "No lessons yet.";
    replace(list, items.length === 0 ? h("p", { class: "empty" }, none) : lessonsTable(items.map(row)));
    more.hidden = !nextCursor;
  };

  /** @param {string} [cursor] */
  const readPage = (cursor) => {
    const q = new URLSearchParams({ limit: String(PAGE), ...(source.value ? { source: source.value } : {}) });
    if (inArchive()) q.set("archived", "only");
    if (cursor) q.set("cursor", cursor);
    return api(live.session, `/lessons?${q}`, { answer: LESSON_PAGE });
  };

  /**
   * The first page (the page opened, the source filter changed: the older pages read before are dropped), or with
   * `older` the next older page appended (#lessons-more, busy while it is out: one page per press), or with `again`
   * (Refresh, busy while out) as many pages as were read, from the newest: a lesson added by the API, the CLI or
   * another tab shows, and the older pages opened stay open, focus on the row's Archive it was on.
   */
  const load = async (older = false, again = false) => {
    if (older && (!nextCursor || isBusy(more))) return;
    const asked = older ? generation : ++generation;
    // Busy while its page is read (keeping keyboard focus, busy.js); the last page hides it: focus to the status.
    const giveBack = older ? focusReturn(more, status) : again ? focusReturn(refresh) : () => {};
    setBusy(more, older); // a first page re-arms it: an older page still out belongs to the list it replaces
    setBusy(refresh, again);
    try {
      let page = await readPage(older ? nextCursor : undefined);
      let items = page.items;
      let pages = 1;
      for (; again && pages < pagesRead && page.nextCursor; pages++) {
        page = await readPage(page.nextCursor);
        items = [...items, ...page.items];
      }
      if (!alive || asked !== generation) return;
      showLoadError(status); // an earlier "Cannot load" (the server was down a moment), not a message of an action
      readFailed = false;
      const have = new Set(older ? listed.map((l) => l.id) : []);
      listed = [...(older ? listed : []), ...items.filter((/** @type {any} */ l) => !have.has(l.id))];
      pagesRead = older ? pagesRead + 1 : pages;
      nextCursor = page.nextCursor;
      redrawKeepingFocus(list, render, status);
    } catch (err) {
      const what = older ? "older lessons" : "lessons";
      if (alive && asked === generation) showLoadError(status, `Cannot load ${what}: ${describeError(err)}`);
      readFailed ||= alive && asked === generation;
    } finally {
      if (asked === generation) {
        setBusy(more, false);
        setBusy(refresh, false);
      }
      giveBack();
    }
  };
  refresh.addEventListener("click", () => void (isBusy(refresh) || load(false, true)));
  // After Add's or Archive's answer (which says nothing of the list) when the last read failed, the open pages are read
  // again as by Refresh: "Cannot load lessons" stood beside "Added …" with no read since. Else drawn in place (no read).
  const rereadIfFailed = () => void (readFailed && !isBusy(refresh) && load(false, true));

  /** @param {string} id @param {HTMLButtonElement} button busy while the request is out (double clicks, busy.js) */
  const archive = async (id, button) => {
    if (isBusy(button) || archiving.has(id)) return;
    const archiveIt = !inArchive(); // in the archived list the row's button is Restore (lesson-rows.js)
    archiving.add(id);
    // Archived, the row goes: focus goes to the Archive now in its place (the next lesson's), so an operator archives
    // down the list with Enter.
    const archiveButtons = () => [...list.querySelectorAll("button[data-focus-key^='archive:']")];
    const at = archiveButtons().indexOf(button);
    const giveBack = focusReturn(button, () => {
      const left = archiveButtons();
      return /** @type {HTMLElement | undefined} */ (left[Math.min(Math.max(at, 0), left.length - 1)]) ?? status;
    });
    setBusy(button, true);
    showError(status);
    status.textContent = `${archiveIt ? "Archiving" : "Restoring"} ${id}…`;
    try {
      const l = await api(live.session, `/lessons/${encodeURIComponent(id)}`, {
        method: "PATCH",
        body: { archived: archiveIt },
        answer: CHANGED,
      });
      archiving.delete(id);
      if (!alive) return;
      showError(status);
      const done = archiveIt
        ? [`Already archived ${id}.`, `Archived ${id}.`]
        : [`${id} was not archived.`, `Restored ${id}.`];
      status.textContent = done[l.changed === false ? 0 : 1];
      moved.set(id, archiveIt);
      render(); // in place: a re-read would close the older pages the operator opened to find this lesson
      giveBack();
      rereadIfFailed();
    } catch (err) {
      archiving.delete(id);
      // The row shown now, which a redraw while the PATCH was out may have drawn anew (busy, from `archiving`).
      setBusy(list.querySelector(`button[data-focus-key="archive:${CSS.escape(id)}"]`), false);
      setBusy(button, false);
      if (alive) showError(status, writeFailure(err, archiveIt ? "Not archived" : "Not restored"));
      giveBack();
    }
  };

  /** @param {any} l */
  const row = (l) => lessonRow(l, archiving.has(l.id), archive);

  addLesson({ live, parts, status, alive: () => alive }, (added) => {
    pending = [added, ...pending];
    render(); // listed at once, above the pages already read (a re-read would close the older ones)
    rereadIfFailed();
  });

  replace(
    root,
    h(
      "section",
      { class: "panel lessons-journal", "aria-labelledby": "lessons-title" },
      h(
        "div",
        { class: "panel-head" },
        h("h1", { id: "lessons-title" }, "Lessons"),
        h("label", null, "Source ", source),
        h("label", null, "Show ", shown),
        refresh,
      ),
      h("p", { class: "muted" }, "Each assignment carries the newest relevant lessons (≤ 8, ≤ 4 KiB) to its engine."),
      list,
      more,
      status,
    ),
    form,
  );
  void load();
  // The list is read when the page opens, on a filter, "Show older" and Refresh (as dead letters'), not on a timer
  // nor on the poller's ticks (a lesson moves no queue version): its ages move with the ticks instead, with no read.
  const unsubscribe = live.subscribe(() => renderAges(list));
  return () => {
    alive = false;
    unsubscribe();
  };
}
