/**
 * @module dashboard/settings-reread
 * What the settings page does with a later read of the settings: it read them once, when opened, so "Saved: …" stood
 * beside values another operator had changed since, and the form showed (and a Save compared against) what it first
 * read. A read with other values takes the save's answer away when it is about them (status-text heldOutcome), shows
 * the new values in every box the reader has not edited — an edit is kept: a Save still sends only what the reader
 * changed — and says what changed elsewhere.
 */

import { FIELDS, read } from "./settings-fields.js";

/** ms between the page's reads of the settings while it is open: at most one per this, on the poller's ticks. */
export const REREAD_MS = 15_000;

/** Every setting the form holds, by its path in the settings ("retry.jitter"), with its label. */
export const SETTING_LABELS = new Map([
  ["preemption", "Preemption"],
  ["overflow", "Overflow"],
  ["routing.objective", "Learned routing optimises"],
  ...FIELDS.map((f) => /** @type {[string, string]} */ ([f.path, f.label])),
]);

/**
 * The paths of the settings whose values differ between `a` and `b` (settings as GET …/settings answers them).
 * @param {any} a @param {any} b @returns {string[]}
 */
export const changedPaths = (a, b) => [...SETTING_LABELS.keys()].filter((p) => read(a, p) !== read(b, p));

/**
 * What a save's answer is about, for heldOutcome: the values of `paths` in `s`, as one string.
 * @param {any} s settings @param {string[]} paths
 */
export const termsOf = (s, paths) => JSON.stringify(paths.map((p) => read(s, p) ?? null));

/**
 * The read's line for settings changed elsewhere: their labels, and that an edit of one is kept.
 * @param {string[]} changed paths @param {string[]} kept paths of them the reader had edited
 */
export function changedText(changed, kept) {
  const names = (/** @type {string[]} */ paths) => paths.map((p) => SETTING_LABELS.get(p) ?? p).join(", ");
  const keptText = kept.length > 0 ? ` Your edit of ${names(kept)} is kept: Save sends it over theirs.` : "";
  return `Changed elsewhere since this page read them: ${names(changed)}.${keptText}`;
}

/** @typedef {Map<string, HTMLInputElement | HTMLSelectElement>} Boxes each setting's box, by its path */

/** What `box` holds now: a checkbox's state, else its text. @param {HTMLInputElement | HTMLSelectElement} box */
const boxValue = (box) => (box.type === "checkbox" ? /** @type {HTMLInputElement} */ (box).checked : box.value);

/** Every box's value by its path, as drawn or as the reader left it. @param {Boxes} boxes @returns {Map<string, unknown>} */
export const boxValues = (boxes) => new Map([...boxes].map(([p, b]) => [p, boxValue(b)]));

/**
 * The reader's edits: each box whose value is not what the page drew in it (`drawn`, from `boxValues`).
 * @param {Boxes} boxes @param {Map<string, unknown>} drawn @returns {Map<string, unknown>}
 */
export const editsOf = (boxes, drawn) => new Map([...boxValues(boxes)].filter(([p, v]) => v !== drawn.get(p)));

/** Puts the reader's `edits` (from `editsOf`) back in their boxes, after a read drew others. @param {Boxes} boxes @param {Map<string, unknown>} edits */
export function putBack(boxes, edits) {
  for (const [p, v] of edits) {
    const box = boxes.get(p);
    if (box?.type === "checkbox") /** @type {HTMLInputElement} */ (box).checked = Boolean(v);
    else if (box) box.value = String(v);
  }
}

/**
 * Draws settings `s`, read while the page shows `current`, when they differ: in every box the reader has not edited
 * (`fill`, then the edits put back) — the box being typed in (focused, edited) is not written at all — and says on
 * `line` what changed elsewhere. Nothing when they are the same.
 * @param {any} current @param {any} s
 * @param {{ boxes: Boxes, drawn: Map<string, unknown>, fill: (s: any, keep?: Element) => void, line: Element }} page
 */
export function drawChanged(current, s, { boxes, drawn, fill, line }) {
  const changed = changedPaths(current, s);
  if (changed.length === 0) return;
  const edits = editsOf(boxes, drawn);
  // Written and put back, the box being typed in lost its caret (to the end), and a number half typed ("1e", "-":
  // its value reads "" until it is one) came back empty: it is left as it is.
  const typing = [...boxes].find(([p, b]) => b === document.activeElement && edits.has(p))?.[1];
  fill(s, typing);
  putBack(boxes, new Map([...edits].filter(([p]) => boxes.get(p) !== typing)));
  line.textContent = changedText(
    changed,
    changed.filter((p) => edits.has(p)),
  );
}
