/**
 * @module dashboard/scroll-box
 * A box that scrolls its content (a table wider than a phone, a timeline taller than its panel) reachable by keyboard:
 * a tab stop (tabindex 0), a region named by `label`, its focus ring drawn by `:focus-visible` (style.css). Without
 * it a keyboard user could not scroll the box to what it hides — the jobs table's Priority, Attempt and Factory at
 * 320 px, reached only by a pointer (WCAG 2.1.1; axe `scrollable-region-focusable`).
 */
import { h } from "./dom.js";

/**
 * @param {string} cls the box's class ("table-wrap": scrolls sideways; "scroll": scrolls down)
 * @param {string} label its accessible name, e.g. "Jobs table"
 * @param {Record<string, any> | null} attrs more attributes (an id)
 * @param {...any} children
 * @returns {HTMLElement}
 */
export const scrollBox = (cls, label, attrs, ...children) =>
  h("div", { ...attrs, class: cls, role: "region", "aria-label": label, tabindex: "0" }, ...children);
