// The dashboard's live regions made on demand are put in the page empty and written once the page has drawn a frame
// (dashboard/announce.js `afterDrawn`): a region inserted already holding its text is not announced by some screen
// readers. A read's failure said beside a refusal (status-text.js, the `-read` line) and the page's one announcer
// (#announcer) exist empty before their text; the latest text asked for meanwhile is what they say, and a line gone
// by then (a read worked) is not written; a hidden tab, which draws no frame, gets its words a moment later.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { announce } from "../../dashboard/announce.js";
// @ts-expect-error plain browser JavaScript, typed by JSDoc only
import { showLoadError } from "../../dashboard/dom.js";

/** The part of an Element status-text.js and announce.js touch; `inserted` lists what was put in the page. */
const inserted: Fake[] = [];
const doc = { createElement: () => new Fake(), body: { append: (n: Fake) => put(n) } };
function put(n: Fake) {
  n.isConnected = true;
  inserted.push(n);
}
class Fake {
  textContent = "";
  id = "";
  className = "";
  isConnected = false;
  ownerDocument = doc;
  attrs = new Map<string, string>();
  classList = { toggle: () => undefined };
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
    put(n);
  }
  remove() {
    this.isConnected = false;
  }
}

/** The `i`th element put in the page (a test fails here when it was never put there). */
function made(i: number): Fake {
  const n = inserted[i];
  if (!n) throw new Error(`no element #${i} was put in the page`);
  return n;
}

/** The frames asked for and not drawn yet: `draw()` draws them, as the browser's next frame would. */
let frames: Array<() => void> = [];
const draw = () => {
  for (const f of frames.splice(0)) f();
};

beforeEach(() => {
  inserted.length = 0;
  frames = [];
  vi.stubGlobal("requestAnimationFrame", (f: () => void) => frames.push(f));
  vi.stubGlobal("document", doc);
});
afterEach(() => vi.unstubAllGlobals());

/** A status line holding a box's refusal (field-error.js marks it so), in the page. */
function refusedLine() {
  const line = new Fake();
  line.id = "budget-status";
  line.isConnected = true;
  line.textContent = "Ceiling: enter a number of dollars";
  line.setAttribute("data-field-error", "");
  return line;
}

describe("live regions made on demand are inserted empty, then written", () => {
  it("puts a read's failure beside a refusal on an empty line, written once the page has drawn", async () => {
    showLoadError(refusedLine(), "Cannot load the budget: HTTP 500");
    expect(inserted).toHaveLength(1);
    const aside = made(0);
    expect(aside.getAttribute("role")).toBe("status");
    expect(aside.id).toBe("budget-status-read");
    expect(aside.textContent).toBe(""); // in the page, empty: its text is a change, said
    draw();
    await vi.waitFor(() => expect(aside.textContent).toBe("Cannot load the budget: HTTP 500"));
  });

  it("says the latest failure asked for before the line was drawn, and nothing on a line gone by then", async () => {
    const line = refusedLine();
    showLoadError(line, "Cannot load the budget: HTTP 500");
    showLoadError(line, "Cannot load the budget: HTTP 503");
    expect(inserted).toHaveLength(1);
    draw();
    await vi.waitFor(() => expect(made(0).textContent).toBe("Cannot load the budget: HTTP 503"));

    const other = refusedLine();
    showLoadError(other, "Cannot load the budget: offline");
    const gone = made(1);
    showLoadError(other); // the read worked before the frame: the line goes, unwritten
    expect(gone.isConnected).toBe(false);
    draw();
    await new Promise<void>((resolve) => setTimeout(resolve, 0)); // the frame's posted task has run: its state
    expect(gone.textContent).toBe("");
  });

  it("writes the words in a hidden tab, which draws no frame, a moment later instead of when it is shown", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] }); // the page's frames stay the stub's: never drawn
    try {
      showLoadError(refusedLine(), "Cannot load the budget: HTTP 500");
      const aside = made(0);
      expect(aside.textContent).toBe(""); // no frame drawn (frames never run here)
      vi.advanceTimersByTime(250);
      expect(aside.textContent).toBe("Cannot load the budget: HTTP 500");
      draw(); // the tab shown: its frame writes nothing twice
      vi.runAllTimers();
      expect(aside.textContent).toBe("Cannot load the budget: HTTP 500");
    } finally {
      vi.useRealTimers();
    }
  });

  it("makes the page's announcer empty and writes the latest news once drawn", async () => {
    announce("600 / 500 bytes: over the limit");
    announce("2 / 500 bytes: within the limit");
    expect(inserted).toHaveLength(1);
    const region = made(0);
    expect(region.id).toBe("announcer");
    expect(region.textContent).toBe("");
    draw();
    await vi.waitFor(() => expect(region.textContent).toBe("2 / 500 bytes: within the limit"));
    announce("3 / 500 bytes: within the limit"); // drawn now: written at once
    expect(region.textContent).toBe("3 / 500 bytes: within the limit");
  });
});
