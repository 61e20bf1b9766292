/**
 * @module dashboard/lesson-add
 * The lessons page's Add (lessons.js, its form lesson-form.js): the lesson checked in the page first (written, within
 * its byte limits), then POST …/lessons (operator), one per press; its answer said on the page's status line and the
 * lesson handed to the page to list at once, or the refusal said on the box it names.
 */

import { LESSON_ADDED } from "./answers.js";
import { api, writeFailure } from "./api.js";
import { isBusy, setBusy } from "./busy.js";
import { focusReturn, showError } from "./dom.js";
import { fieldError, refusalError } from "./field-error.js";

/**
 * Arms the form's submit: each one adds the lesson its boxes hold, and hands the lesson added (POST …/lessons'
 * answer) to `added`. A refusal or a failure is said on `status`, never thrown.
 * @param {{ live: import("./live.js").Live, parts: ReturnType<typeof import("./lesson-form.js").lessonForm>,
 *   status: HTMLElement, alive: () => boolean }} page
 * @param {(lesson: any) => void} added
 */
export function addLesson({ live, parts, status, alive }, added) {
  const { form, text, caps, engine, serial, addButton, textLimit, serialLimit } = parts;
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
      const lesson = await api(live.session, "/lessons", { method: "POST", body, answer: LESSON_ADDED });
      if (!alive()) return;
      showError(status);
      status.textContent = `Added ${lesson.id}.`;
      text.value = "";
      textLimit.problem(); // the counter follows the emptied box
      added(lesson);
    } catch (err) {
      const boxes = { text, capabilities: caps, engine, serialKey: serial }; // the box refused is marked and focused
      if (alive()) refusalError(err, status, writeFailure(err, "Not added"), boxes);
    } finally {
      setBusy(addButton, false);
      giveBack();
    }
  });
}
