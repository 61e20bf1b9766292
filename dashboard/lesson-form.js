/**
 * @module dashboard/lesson-form
 * The lessons journal's add form (lessons.js): the lesson's text, its scope (capabilities, engine, serial key) and
 * Add, each box bounded in UTF-8 bytes as the server counts. Shown to operators (data-needs, role.js). Stable ids:
 * #lesson-text, #lesson-caps, #lesson-engine, #lesson-serial, #lesson-add.
 */
import { BYTE_LIMITS, byteLimited } from "./byte-limit.js";
import { h } from "./dom.js";

/** The form and its boxes, with the byte limits of the text and the serial key (`problem()`: what is over, if any). */
export function lessonForm() {
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
  return { form, text, caps, engine, serial, addButton, textLimit, serialLimit };
}
