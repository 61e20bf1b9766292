// The dashboard's status lines (dashboard/dom.js `showLoadError`): a panel's periodic read and its actions write
// one line. A read that works clears the read's own earlier failure, never what an action said in between (a
// refresh landing after a click wiped the click's refusal), and a failure it reported does not outlive the fix.
import { describe, expect, it } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { showError, showLoadError } from "../../dashboard/dom.js";

/** The part of an Element the two functions touch. */
function line() {
  const attrs = new Set<string>();
  const classes = new Set<string>();
  return {
    textContent: "",
    classList: { toggle: (c: string, on: boolean) => (on ? classes.add(c) : classes.delete(c)) },
    setAttribute: (a: string) => void attrs.add(a),
    removeAttribute: (a: string) => void attrs.delete(a),
    hasAttribute: (a: string) => attrs.has(a),
    get failed() {
      return classes.has("error");
    },
  };
}

describe("dashboard status line: a read's outcome beside an action's", () => {
  it("a read that works keeps what an action said", () => {
    const el = line();
    showError(el, "approve not sent: the comment is at most 500 bytes of UTF-8, and this is 501");
    showLoadError(el);
    expect(el.textContent).toMatch(/approve not sent/);
    expect(el.failed).toBe(true);
  });

  it("a read that works clears the read's own failure", () => {
    const el = line();
    showLoadError(el, "Cannot load routing: the server did not answer");
    expect(el.failed).toBe(true);
    showLoadError(el);
    expect(el.textContent).toBe("");
    expect(el.failed).toBe(false);
  });

  it("an action's message replaces a read's failure, and the next good read leaves it", () => {
    const el = line();
    showLoadError(el, "Cannot load lessons: offline");
    showError(el, "Not added: the lesson is too long.");
    showLoadError(el);
    expect(el.textContent).toBe("Not added: the lesson is too long.");
  });
});
