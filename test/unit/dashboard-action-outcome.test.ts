// An action's answer in a dashboard status line stays readable when a read (a poll, a re-read) fails after it
// (dashboard/status-text.js `showLoadError`): "Budget saved.", "Acknowledged …", "Not archived: …" or "Saving…" keep
// the line, the read's failure is said on the line beside it (`<id>-read`), and the next read that works ends that
// line, never the action's words. Written over them, a poll 5 s on took the answer away before it was read, and the
// poll after that cleared the line. A read's own word ("Loading…", showReadNote) is still written over. An answer true
// only while what it is about holds (`heldOutcome`: "Paused: …") goes with the first read that finds that changed
// elsewhere — it stood beside a page saying otherwise — and never takes what the line said since.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { heldOutcome, showDone, showError, showLoadError, showReadNote } from "../../dashboard/dom.js";

/** The part of an Element status-text.js touches; `inserted` lists the lines put in the page beside another. */
const inserted: Fake[] = [];
const doc = { createElement: () => new Fake() };
class Fake {
  textContent = "";
  id = "";
  className = "";
  isConnected = true;
  ownerDocument = doc;
  attrs = new Map<string, string>();
  classes = new Set<string>();
  classList = { toggle: (c: string, on: boolean) => (on ? this.classes.add(c) : this.classes.delete(c)) };
  setAttribute(a: string, v: string) {
    this.attrs.set(a, String(v));
  }
  getAttribute(a: string) {
    return this.attrs.get(a) ?? null;
  }
  hasAttribute(a: string) {
    return this.attrs.has(a);
  }
  removeAttribute(a: string) {
    this.attrs.delete(a);
  }
  after(n: Fake) {
    n.isConnected = true;
    inserted.push(n);
  }
  remove() {
    this.isConnected = false;
  }
}

/** The frames asked for and not drawn yet: `draw()` draws them, as the browser's next frame would, and lets the task
 * each posts (announce.js afterDrawn) run. */
let frames: Array<() => void> = [];
const draw = async () => {
  for (const f of frames.splice(0)) f();
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
};

beforeEach(() => {
  inserted.length = 0;
  frames = [];
  vi.stubGlobal("requestAnimationFrame", (f: () => void) => frames.push(f));
  vi.stubGlobal("document", doc);
});
afterEach(() => vi.unstubAllGlobals());

/** A status line in the page, its id as the pages give theirs. */
function statusLine(id = "budget-status") {
  const line = new Fake();
  line.id = id;
  return line;
}

/** What the lines beside `line` say that are still in the page (its `-read` line). */
const beside = (line: Fake) => inserted.filter((n) => n.isConnected && n.id === `${line.id}-read`);

describe("a read's failure after an action's answer", () => {
  it("keeps the answer and says the failure beside it, until a read works", async () => {
    const line = statusLine();
    showDone(line, "Budget saved.");
    showLoadError(line, "Cannot load the budget: HTTP 503");
    await draw();
    expect(line.textContent).toBe("Budget saved.");
    expect(beside(line).map((n) => n.textContent)).toEqual(["Cannot load the budget: HTTP 503"]);
    showLoadError(line); // the next poll worked
    expect(beside(line)).toEqual([]);
    expect(line.textContent).toBe("Budget saved.");
  });

  it("keeps every kind of action words: an outcome, a refusal of the action, one still out", async () => {
    for (const [i, said] of ["Acknowledged alr_1.", "Not archived les_1: HTTP 409", "Saving…"].entries()) {
      const line = statusLine(`status-${i}`);
      showError(line, said.startsWith("Not") ? said : undefined);
      line.textContent = said;
      showLoadError(line, "Cannot load alerts: the coordinator did not answer");
      await draw();
      expect(line.textContent, said).toBe(said);
      expect(beside(line).map((n) => n.textContent)).toEqual(["Cannot load alerts: the coordinator did not answer"]);
    }
  });

  it("writes a failure over a read's own word, and on an empty line, as before", async () => {
    const loading = statusLine("settings-status");
    showReadNote(loading, "Loading…");
    showLoadError(loading, "Cannot load settings: HTTP 500");
    expect(loading.textContent).toBe("Cannot load settings: HTTP 500");
    const empty = statusLine("lessons-status");
    showLoadError(empty, "Cannot load lessons: offline");
    expect(empty.textContent).toBe("Cannot load lessons: offline");
    await draw();
    expect(inserted).toEqual([]);
  });
});

describe("an action's answer about what a later read finds changed", () => {
  it("goes when a read finds other terms, and stays while they hold", () => {
    const line = statusLine();
    const outcome = heldOutcome(line);
    outcome.say("Paused: no new dispatch until resumed.", "day 10 pause operator");
    outcome.read("day 10 pause operator"); // a poll: spend moved, the pause holds
    expect(line.textContent).toBe("Paused: no new dispatch until resumed.");
    outcome.read("day 10 pause "); // resumed elsewhere
    expect(line.textContent).toBe("");
    expect(line.classes.has("error")).toBe(false);
  });

  it("leaves what the line said since: a refusal, a failure said on the line", () => {
    const line = statusLine();
    const outcome = heldOutcome(line);
    outcome.say("Budget saved.", "day 10 pause ");
    showError(line, "Ceiling: enter a number of dollars"); // the form's own refusal, after
    outcome.read("week 40 stop ");
    expect(line.textContent).toBe("Ceiling: enter a number of dollars");
    outcome.say("Budget saved.", "day 10 pause ");
    outcome.read("week 40 stop "); // ended once: a later read of the same terms takes nothing
    showDone(line, "Budget saved."); // said again by another way, not held
    outcome.read("month 5 stop ");
    expect(line.textContent).toBe("Budget saved.");
  });
});
