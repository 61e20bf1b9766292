/**
 * @module dashboard/lessons
 * The lessons journal page (#/lessons, issue 9 item 7): the product's lessons newest first from GET …/lessons
 * (what engines are told before a job: automatic ones from dead letters, review rejections, breaker trips, budget
 * stops and quarantines; operators' own), filtered by source, with an add form and an Archive button per lesson
 * for operators (the server refuses anyone else, and the page says so). The list is read a page at a time: "Show
 * older lessons" (#lessons-more, shown while the API answers a `nextCursor`) appends the next page. Stable ids:
 * #lessons-list, #lessons-more, #lesson-text, #lesson-caps, #lesson-engine, #lesson-serial, #lesson-add,
 * #lessons-status, rows carry data-lesson-id.
 */

import { CHANGED, LESSON_ADDED, LESSON_PAGE } from "./answers.js";
import { api, describeError, writeFailure } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import { BYTE_LIMITS, byteLimited } from "./byte-limit.js";
import { focusReturn, h, renderAges, replace, showError, showLoadError, statusLine } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";
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
  const text = h("textarea", { id: "lesson-text", rows: "2", required: true });
  const caps = h("input", { id: "lesson-caps", type: "text", placeholder: "lang:ts os:linux" });
  // An engine name is ASCII (its pattern), so its characters are its bytes.
  const engine = h("input", { id: "lesson-engine", type: "text", maxlength: "32", placeholder: "claude" });
  const serial = h("input", { id: "lesson-serial", type: "text", placeholder: "repo/main" });
  // The server counts UTF-8 bytes, so do these boxes (a maxlength counted characters: 400 漢 passed as 1,200 bytes).
  const textLimit = byteLimited(text, BYTE_LIMITS.lessonText);
  const serialLimit = byteLimited(serial, BYTE_LIMITS.serialKey, "name");
  const addButton = h("button", { type: "submit", class: "primary", id: "lesson-add" }, "Add");
  const field = (
    /** @type {HTMLElement} */ input,
    /** @type {string} */ label,
    /** @type {HTMLElement | null} */ counter = null,
  ) => h("div", { class: "field" }, h("label", { for: input.id }, label), input, counter);
  const form = h(
    "form",
    { class: "card lesson-add", "aria-labelledby": "lesson-add-title", novalidate: true, "data-needs": "operator" },
    h("h2", { id: "lesson-add-title" }, "Add a lesson"),
    h("p", { class: "muted" }, "Leave the scope empty for every job. Adding needs an operator token."),
    field(text, `Lesson (≤ ${BYTE_LIMITS.lessonText} bytes)`, textLimit.counter),
    field(caps, "Required capabilities (space-separated)"),
    field(engine, "Engine"),
    field(serial, "Serial key", serialLimit.counter),
    h("div", { class: "buttons" }, addButton),
  );

  /**
   * Lessons added on this page that D1 does not list yet: GET …/lessons reads D1, which the coordinator's outbox
   * fills a moment after the POST answers, so a list re-read at once would drop the operator's new lesson.
   * @type {any[]}
   */
  let pending = [];
  /** Ids archived on this page: D1 may list them a moment longer (the same outbox), and they must not come back. */
  const archived = new Set();
  /**
   * Ids whose archive is out: their Archive is drawn busy until the answer. The list is redrawn meanwhile (an older
   * page read, the filter changed, a lesson added) and the row drawn anew offered an armed Archive: a second PATCH.
   */
  const archiving = new Set();
  /** What D1 listed, newest first: the first page and every older one asked for since. @type {any[]} */
  let listed = [];
  /** Where the next older page starts; undefined once the oldest lesson is listed. @type {string | undefined} */
  let nextCursor;
  /** Bumped by each first-page read (the filter changed): an older page asked for before it is dropped. */
  let generation = 0;
  const more = h(
    "button",
    { type: "button", class: "secondary", id: "lessons-more", hidden: true, onclick: () => void load(true) },
    "Show older lessons",
  );

  const render = () => {
    pending = pending.filter((p) => !listed.some((l) => l.id === p.id));
    const items = [...(source.value === "auto" ? [] : pending), ...listed].filter((l) => !archived.has(l.id));
    replace(list, items.length === 0 ? h("p", { class: "empty" }, "No lessons yet.") : lessonsTable(items.map(row)));
    more.hidden = !nextCursor;
  };

  /**
   * The first page (the page opened, the source filter changed: the older pages read before are dropped), or with
   * `older` the next older page appended (#lessons-more, busy while it is out: one page per press).
   */
  const load = async (older = false) => {
    if (older && (!nextCursor || isBusy(more))) return;
    const asked = older ? generation : ++generation;
    // Busy while its page is read (keeping keyboard focus, busy.js); the last page hides it: focus to the status.
    const giveBack = older ? focusReturn(more, status) : () => {};
    setBusy(more, older); // a first page re-arms it: an older page still out belongs to the list it replaces
    try {
      const q = new URLSearchParams({ limit: String(PAGE), ...(source.value ? { source: source.value } : {}) });
      if (older && nextCursor) q.set("cursor", nextCursor);
      const page = await api(live.session, `/lessons?${q}`, { answer: LESSON_PAGE });
      if (!alive || asked !== generation) return;
      showLoadError(status); // an earlier "Cannot load" (the server was down a moment), not a message of an action
      const have = new Set(older ? listed.map((l) => l.id) : []);
      listed = [...(older ? listed : []), ...page.items.filter((/** @type {any} */ l) => !have.has(l.id))];
      nextCursor = page.nextCursor;
      render();
    } catch (err) {
      const what = older ? "older lessons" : "lessons";
      if (alive && asked === generation) showLoadError(status, `Cannot load ${what}: ${describeError(err)}`);
    } finally {
      if (asked === generation) setBusy(more, false);
      giveBack();
    }
  };

  /** @param {string} id @param {HTMLButtonElement} button busy while the request is out (double clicks, busy.js) */
  const archive = async (id, button) => {
    if (isBusy(button) || archiving.has(id)) return;
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
    status.textContent = `Archiving ${id}…`;
    try {
      const l = await api(live.session, `/lessons/${encodeURIComponent(id)}`, {
        method: "PATCH",
        body: { archived: true },
        answer: CHANGED,
      });
      archiving.delete(id);
      if (!alive) return;
      showError(status);
      status.textContent = l.changed === false ? `Already archived ${id}.` : `Archived ${id}.`;
      archived.add(id);
      render(); // in place: a re-read would close the older pages the operator opened to find this lesson
      giveBack();
    } catch (err) {
      archiving.delete(id);
      // The row shown now, which a redraw while the PATCH was out may have drawn anew (busy, from `archiving`).
      setBusy(list.querySelector(`button[data-focus-key="archive:${CSS.escape(id)}"]`), false);
      setBusy(button, false);
      if (alive) showError(status, writeFailure(err, "Not archived"));
      giveBack();
    }
  };

  /** @param {any} l */
  const row = (l) => lessonRow(l, archiving.has(l.id), archive);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {
      text: text.value.trim(),
      capabilities: caps.value.split(/\s+/).filter(Boolean),
      ...(engine.value.trim() ? { engine: engine.value.trim() } : {}),
      ...(serial.value.trim() ? { serialKey: serial.value.trim() } : {}),
    };
    if (!body.text) return fieldError(text, status, "Write the lesson first.");
    const textOver = textLimit.problem();
    if (textOver) return fieldError(text, status, `Not added: the lesson is ${textOver}.`);
    const serialOver = serialLimit.problem();
    if (serialOver) return fieldError(serial, status, `Not added: the serial key is ${serialOver}.`);
    // One lesson per press: a double click (or Enter twice) while the first POST is out would add it twice.
    if (isBusy(addButton)) return;
    const giveBack = focusReturn(addButton, status); // a render while the POST is out may redraw what holds focus
    setBusy(addButton, true); // aria-disabled: a pressed Add keeps keyboard focus (busy.js)
    showError(status);
    status.textContent = "Adding…"; // said while the POST is out: a slow answer is not mistaken for a lost click
    try {
      const added = await api(live.session, "/lessons", { method: "POST", body, answer: LESSON_ADDED });
      if (!alive) return;
      showError(status);
      status.textContent = `Added ${added.id}.`;
      text.value = "";
      textLimit.problem(); // the counter follows the emptied box
      pending = [added, ...pending];
      render(); // listed at once, above the pages already read (a re-read would close the older ones)
    } catch (err) {
      const boxes = { text, capabilities: caps, engine, serialKey: serial }; // the box refused is marked and focused
      if (alive) refusalError(err, status, writeFailure(err, "Not added"), boxes);
    } finally {
      setBusy(addButton, false);
      giveBack();
    }
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
      ),
      h("p", { class: "muted" }, "Each assignment carries the newest relevant lessons (≤ 8, ≤ 4 KiB) to its engine."),
      list,
      more,
      status,
    ),
    form,
  );
  void load();
  // The list is read when the page opens and on a filter or "Show older", not on a timer: its ages move with the
  // poller's ticks instead, with no read of their own.
  const unsubscribe = live.subscribe(() => renderAges(list));
  return () => {
    alive = false;
    unsubscribe();
  };
}
